package io.pekkoraft.consensus;

/**
 * The user's replicated state: every node of a group holds one instance and applies the same commands in
 * the same order, so all instances go through the same states.
 *
 * <p>Both methods must be deterministic: the result may depend only on the current state and the
 * argument, never on the clock, randomness, the node, or I/O. A {@code RuntimeException} thrown by
 * {@link #apply} is reported to the client that submitted the command; since every node throws the same
 * way, the state stays identical everywhere, but the method must leave the state unchanged when it throws.
 *
 * @param <C> commands, which change the state
 * @param <Q> queries, which read it
 * @param <R> results of both
 */
public interface StateMachine<C, Q, R> {

  /** Apply a committed command, in log order, and return its result for the client. */
  R apply(C command);

  /** Answer a query from the current state, without changing it. */
  R query(Q query);
}
