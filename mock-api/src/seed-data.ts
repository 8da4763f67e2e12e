/** Records as the real Event API stores them: numeric ids, `userName`, string event ids on users. */
export interface UserRecord {
  id: number;
  userName: string;
  email: string;
  events: string[];
}

export interface EventRecord {
  id: number | string;
  name: string;
  userId: number | string;
  details?: string;
}

export interface SeedData {
  users: Map<string, UserRecord>;
  events: Map<string, EventRecord>;
}

/** A few users and events; user 2 has many events, for fan-out demos and tests. */
export function createSeedData(): SeedData {
  const users = new Map<string, UserRecord>();
  const events = new Map<string, EventRecord>();
  const addUser = (id: number, userName: string, email: string): UserRecord => {
    const user: UserRecord = { id, userName, email, events: [] };
    users.set(String(id), user);
    return user;
  };
  const addEvent = (key: number, userId: number, name: string, details?: string): void => {
    events.set(String(key), { id: key, name, userId, ...(details ? { details } : {}) });
    users.get(String(userId))?.events.push(String(key));
  };

  addUser(1, 'Ada Lovelace', 'ada@example.com');
  addUser(2, 'Grace Hopper', 'grace@example.com');
  addUser(3, 'Alan Turing', 'alan@example.com');
  addUser(4, 'Edsger Dijkstra', 'edsger@example.com');

  addEvent(1, 1, 'Analytical Engine review', 'Bring the notes on Bernoulli numbers');
  addEvent(2, 1, 'Poetry science salon');
  addEvent(3, 3, 'Imitation game rehearsal', 'Room 2');
  for (let key = 100; key < 150; key += 1) {
    addEvent(key, 2, `COBOL workshop #${key - 99}`, `Session ${key - 99} of 50`);
  }
  // Quirk of the real upstream: the body's id does not always match the key it is stored under.
  addEvent(7, 4, 'Shortest path walk');
  events.set('7', { ...events.get('7')!, id: 70 });
  // A dangling reference: the user lists an event the upstream no longer has.
  users.get('4')!.events.push('999');
  return { users, events };
}
