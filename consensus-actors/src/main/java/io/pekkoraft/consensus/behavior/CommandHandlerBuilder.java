package io.pekkoraft.consensus.behavior;

/**
 * Builds a {@link CommandHandler} as Pekko's {@code CommandHandlerBuilder} does: cases per state
 * ({@link #forAnyState}, {@link #forStateType}) and per command class, the first match deciding (see
 * {@link CommandCasesBuilder}). A command that no case matches is {@code unhandled()}.
 */
public final class CommandHandlerBuilder<Command, Event, State>
    extends CommandCasesBuilder<Command, Event, State, Effect<Event, State>, CommandHandler<Command, Event, State>> {

  CommandHandlerBuilder() {
    super(() -> new EffectFactories<Event, State>().unhandled(), cases -> cases::apply);
  }
}
