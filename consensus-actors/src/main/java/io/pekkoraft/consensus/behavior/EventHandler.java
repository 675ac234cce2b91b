package io.pekkoraft.consensus.behavior;

/**
 * Applies a committed event to the state; built with {@link EventHandlerBuilder}. It runs on every member,
 * for every committed event, in log order, also on replay after a restart, so it must be deterministic and
 * free of side effects, and must return a new state rather than change the one it is given (the leader's
 * command handler reads states from another thread).
 */
@FunctionalInterface
public interface EventHandler<State, Event> {
  State apply(State state, Event event);
}
