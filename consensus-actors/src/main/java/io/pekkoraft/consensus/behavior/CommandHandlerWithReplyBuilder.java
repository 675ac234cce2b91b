package io.pekkoraft.consensus.behavior;

/**
 * Builds a {@link CommandHandlerWithReply}: like {@link CommandHandlerBuilder}, but every case returns a
 * {@link ReplyEffect}, so a handler that forgets to reply does not compile. A command no case matches is
 * {@code unhandled()} with no reply.
 */
public final class CommandHandlerWithReplyBuilder<Command, Event, State> extends CommandCasesBuilder<Command, Event,
    State, ReplyEffect<Event, State>, CommandHandlerWithReply<Command, Event, State>> {

  CommandHandlerWithReplyBuilder() {
    super(() -> new EffectFactories<Event, State>().unhandled().thenNoReply(), cases -> cases::apply);
  }
}
