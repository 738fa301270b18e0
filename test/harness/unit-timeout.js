// Unit specs are quick, but in a full run they share the machine with the database and broker:
// a starved event loop must not fail them on time alone (a QR rendering once took 11 s).
jest.setTimeout(30_000);
