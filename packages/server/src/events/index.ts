/** What other domains use from events: the catalogue's types and the outbox writer. */
export { type EventType, event_catalogue, isEventType } from './catalogue.js';
export { eventOf, type NewEvent, recordEvents, recordRowEvents } from './outbox.js';
