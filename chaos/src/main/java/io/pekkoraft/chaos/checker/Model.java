package io.pekkoraft.chaos.checker;

/**
 * A sequential specification: the states an object goes through when operations happen one at a time.
 * States must implement {@code equals} and {@code hashCode} (the checker remembers the states it has seen)
 * and must not be null.
 */
public interface Model {

  /** The state before any operation. */
  Object initial();

  /**
   * The state after {@code op} happens in {@code state}, or null if {@code op} cannot happen there (a read
   * that saw another value, an acknowledged cas whose expected value is not the state). An operation of
   * unknown outcome has no output to match: only its effect counts.
   */
  Object step(Object state, Operation op);
}
