package io.pekkoraft.consensus;

/**
 * The user's replicated state: every node of a group holds one instance and applies the same commands in
 * the same order, so all instances go through the same states.
 *
 * <p>Both methods must be deterministic: the result may depend only on the current state and the
 * argument, never on the clock, randomness, the node, or I/O. A command may also depend on where it sits in
 * the log, its {@link AppliedEntry} (index, term, log time): every replica sees the same one for the same
 * command; override {@link #apply(Object, AppliedEntry)} to see it. Log time is how a state machine tells
 * time (leases, expiry), never the clock of the node applying.
 *
 * <p>How applying a committed command can end:
 *
 * <ul>
 *   <li>{@link #apply} returns: the client gets the result ({@code ClientReply.Applied}).
 *   <li>{@link #apply} throws a {@code RuntimeException}: the command stays committed, and its client gets
 *       {@code ClientReply.CommandFailed} ({@link RaftException.CommandFailed} from {@code submit}). Every
 *       replica throws the same way, so the states stay identical, provided the method leaves the state
 *       unchanged when it throws. Retrying the command would fail again.
 *   <li>{@link #apply} throws an {@code Error}: the state may be half changed, so the node stops (its
 *       server too), loudly; its waiting clients are told the outcome is unknown. A restart replays the
 *       log, and the command, again.
 *   <li>The command cannot be deserialized on this node (a different registrar list or class version than
 *       the node that sent it): the node stops, loudly, rather than skip a committed command and diverge.
 *       Every member must run the same {@code KryoRegistrar}s and command classes. The leader never
 *       appends bytes that it cannot deserialize itself.
 * </ul>
 *
 * @param <C> commands, which change the state
 * @param <Q> queries, which read it
 * @param <R> results of both
 */
public interface StateMachine<C, Q, R> {

  /** Apply a committed command, in log order, and return its result for the client. */
  R apply(C command);

  /**
   * Apply a committed command that sits at {@code entry} in the log: what the runner calls, for every
   * command, in log order, on every replica, on the replay of the log after a restart and for the commands
   * after a restored snapshot. {@code entry} (index, term, log time) is the same on every replica, so a
   * result or state that depends on it stays deterministic: a fencing token taken from the index, a lease
   * that ends at a log time. Default: {@link #apply(Object)}, the entry unused.
   *
   * <p>A state machine that overrides this one is never called with {@link #apply(Object)} by the runner;
   * it still implements it (throwing, or applying with no entry, as it sees fit).
   */
  default R apply(C command, AppliedEntry entry) {
    return apply(command);
  }

  /** Answer a query from the current state, without changing it. */
  R query(Q query);

  /**
   * A snapshot of the whole state, for log compaction: an object Kryo can serialize (register its classes
   * like those of commands), taken between two applies. It is serialized before the next command is
   * applied, so it may share structure with the live state. Default: null, meaning this state machine is
   * never snapshotted and its log is never compacted.
   */
  default Object snapshot() {
    return null;
  }

  /**
   * Replace the whole state by a snapshot that {@link #snapshot} returned (on this node or another): at
   * restart, or when the leader sends its snapshot to a follower that fell too far behind.
   */
  default void restore(Object snapshot) {
    throw new UnsupportedOperationException(getClass().getName() + " returns snapshots but does not override restore");
  }

  /**
   * Replace the whole state by {@code snapshot}, read from its file {@code stored}: what the runner calls.
   * A state machine that reads parts of its snapshot lazily overrides this one (its snapshot's serializer
   * may then leave those parts unread) and keeps {@code stored} to read them. Default: {@link #restore(Object)}.
   */
  default void restore(Object snapshot, StoredSnapshot stored) {
    restore(snapshot);
  }

  /**
   * The snapshot {@link #snapshot} returned last is now in its file, {@code stored}, durable: called by the
   * runner right after writing it, before the next command is applied. Default: nothing.
   */
  default void snapshotStored(StoredSnapshot stored) {}
}
