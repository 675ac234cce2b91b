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

  /**
   * Whether {@code op}, when its outcome is unknown, may be linearized only when something needs it: true if
   * it never observes the state (it can happen in any state) and its effect commutes with the effect of every
   * operation. The checker then applies such an operation only while some pending operation cannot happen in
   * the current state, which is complete (an unobserved commuting operation can always move later, past what
   * does not need it) and keeps a counter's many unknown adds from multiplying the search. Default: false.
   */
  default boolean commutes(Operation op) {
    return false;
  }

  /**
   * For a commuting operation of unknown outcome: whether applying it in {@code state} can bring closer an
   * operation {@code blocked} that cannot happen in {@code state}. Returning false where it cannot (a counter
   * read of a smaller value than the state, with a positive add) prunes the search; true is always safe.
   */
  default boolean mayHelp(Object state, Operation unknown, Operation blocked) {
    return true;
  }

  /**
   * 64 bits that tell states apart, for the checker's fingerprints of explored configurations: distinct
   * states should give distinct bits wherever possible. Default: the state's hash code.
   */
  default long fingerprint(Object state) {
    return state.hashCode();
  }
}
