/** The contract's success envelopes. Failures are built by the global exception filter only. */
export interface DataResponse<T> {
  success: true;
  data: T;
}

export interface MessageResponse {
  success: true;
  message: string;
}

export const dataResponse = <T>(data: T): DataResponse<T> => ({ success: true, data });
export const messageResponse = (message: string): MessageResponse => ({ success: true, message });
