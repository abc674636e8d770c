/**
 * Media events are recorded or the operation fails (503): an upload nobody hears of would never get
 * its thumbnail, a deletion nobody hears of would stay in the room.
 */
export { eventBy as who, recordEvent as record } from '@parley/kit';
