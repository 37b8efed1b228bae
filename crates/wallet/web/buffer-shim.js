// Node's `Buffer` for the bundled libraries that expect it (blake-hash), from the npm `buffer` package.
export { Buffer } from "buffer";
