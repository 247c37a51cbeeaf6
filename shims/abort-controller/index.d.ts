declare const NativeAbortController: typeof globalThis.AbortController;
declare const NativeAbortSignal: typeof globalThis.AbortSignal;
type NativeAbortSignal = globalThis.AbortSignal;
export { NativeAbortController as AbortController, NativeAbortSignal as AbortSignal };
export default NativeAbortController;
