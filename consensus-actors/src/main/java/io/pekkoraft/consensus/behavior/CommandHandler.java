package io.pekkoraft.consensus.behavior;

/** Decides what a command does, from the entity's latest applied state; built with {@link CommandHandlerBuilder}. */
@FunctionalInterface
public interface CommandHandler<Command, Event, State> {
  Effect<Event, State> apply(State state, Command command);
}
