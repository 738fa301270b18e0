export const ROOT_LOGGER = Symbol('RootLogger');
