// Each inbound event is handed to the core on a turn of the event loop of its own.
//
// Events often arrive together: a getUpdates answer brings a batch, one socket read brings several gateway or
// Socket Mode frames. Handled back to back, they all run inside one pass of the microtask queue, and Node writes an
// HTTP request to its socket only after that queue is empty (the socket is handed over on process.nextTick). The
// first reply would then leave after the last event of the batch had been handled. With a turn each, an event's API
// call is on the wire before the next event starts, and the platform works on the first reply while the bot works on
// the second. Measured with bench/channels.ts (Telegram, 50 chats at once): the first reply reached the platform
// 8–11 ms after the batch, and 2–3 ms after it with a turn per event; the median round trip went from 17 to 11 ms.

/** Resolves on the next turn of the event loop (after pending I/O callbacks, ticks and microtasks). */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
