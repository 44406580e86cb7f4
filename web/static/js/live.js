// The one live connection of a signed-in page, for the views that send on
// it.
export const live = { connection: null };

let lastTyping = 0;

// sendTyping tells a friend we are typing, at most every 2 s.
export function sendTyping(userId) {
  if (!live.connection || Date.now() - lastTyping < 2000) return;
  lastTyping = Date.now();
  live.connection.send({ type: 'typing', to: userId });
}
