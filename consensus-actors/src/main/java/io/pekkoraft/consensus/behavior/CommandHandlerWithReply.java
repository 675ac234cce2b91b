package io.pekkoraft.consensus.behavior;

/** A command handler that must decide a reply for every command; built with {@link CommandHandlerWithReplyBuilder}. */
@FunctionalInterface
public interface CommandHandlerWithReply<Command, Event, State> extends CommandHandler<Command, Event, State> {
  @Override
  ReplyEffect<Event, State> apply(State state, Command command);
}
