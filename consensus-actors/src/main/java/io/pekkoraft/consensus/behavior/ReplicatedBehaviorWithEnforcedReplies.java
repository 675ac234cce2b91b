package io.pekkoraft.consensus.behavior;

/**
 * A {@link ReplicatedBehavior} whose command handler must decide a reply for every command, as Pekko's
 * {@code EventSourcedBehaviorWithEnforcedReplies}: it returns a {@link ReplyEffect}, which only
 * {@code thenReply}, {@code thenNoReply}, {@code reply} and {@code noReply} make. A case that returns
 * {@code Effect().replicate(event)} without a reply does not compile:
 *
 * <pre>{@code
 * newCommandHandlerWithReplyBuilder().forAnyState()
 *     .onCommand(Increment.class, cmd -> Effect().replicate(new Incremented(cmd.delta())))   // compile error
 *     .onCommand(Increment.class, cmd -> Effect().replicate(new Incremented(cmd.delta()))
 *         .thenReply(cmd.replyTo(), s -> s))                                                 // compiles
 * }</pre>
 *
 * ({@code EnforcedRepliesCompileTest} compiles both.)
 */
public abstract class ReplicatedBehaviorWithEnforcedReplies<Command, Event, State>
    extends ReplicatedBehavior<Command, Event, State> {

  @Override
  public abstract CommandHandlerWithReply<Command, Event, State> commandHandler();

  protected final CommandHandlerWithReplyBuilder<Command, Event, State> newCommandHandlerWithReplyBuilder() {
    return new CommandHandlerWithReplyBuilder<>();
  }
}
