// The queue as the dashboard knows it. Versions make every update idempotent:
// an event older than what is shown changes nothing, a removal leaves a tombstone
// so a late, older update cannot bring a caller back.
export class QueueState {
  #callers = new Map(); // id → card
  #removed = new Map(); // id → version at removal

  replace(cards) {
    this.#callers = new Map(cards.filter((c) => !this.#isGone(c)).map((c) => [c.id, c]));
  }

  apply(card) {
    const known = this.#callers.get(card.id);
    if (this.#isGone(card) || (known && known.version >= card.version)) return false;
    this.#callers.set(card.id, card);
    return true;
  }

  remove(id, version) {
    this.#removed.set(id, Math.max(version, this.#removed.get(id) ?? 0));
    return this.#callers.delete(id);
  }

  has(id) {
    return this.#callers.has(id);
  }

  ids() {
    return [...this.#callers.keys()];
  }

  all() {
    return [...this.#callers.values()];
  }

  // Callers marked urgent first, the first marked first, whichever way the rest is sorted:
  // the server's order (consultations.models.QUEUE_ORDER), so every dashboard shows the same.
  sorted(newestFirst = false) {
    const byArrival = (a, b) => Date.parse(a.waiting_since) - Date.parse(b.waiting_since) || a.id - b.id;
    const byUrgency = (a, b) => Date.parse(a.urgent_since) - Date.parse(b.urgent_since) || byArrival(a, b);
    const urgent = this.all().filter(isUrgent).sort(byUrgency);
    const rest = this.all().filter((c) => !isUrgent(c)).sort(byArrival);
    return [...urgent, ...(newestFirst ? rest.reverse() : rest)];
  }

  #isGone(card) {
    return (this.#removed.get(card.id) ?? 0) >= card.version;
  }
}

// Marked urgent by the team (the card's `urgent` holds the reason's code).
export function isUrgent(card) {
  return Boolean(card.urgent);
}
