package io.pekkoraft.samples.counter;

import io.pekkoraft.consensus.behavior.CommandHandlerWithReply;
import io.pekkoraft.consensus.behavior.EventHandler;
import io.pekkoraft.consensus.behavior.ReplicatedBehaviorWithEnforcedReplies;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The replicated counter as a replicated behavior: the same counter as {@link Counter}, written as a Pekko
 * developer writes an {@code EventSourcedBehavior}. One counter per entity id, all in one Raft group. The
 * command handler runs on the leader and decides; the event is the log entry; every node's event handler
 * applies it; the reply leaves once it is committed.
 */
public final class CounterBehavior
    extends ReplicatedBehaviorWithEnforcedReplies<CounterBehavior.Command, CounterBehavior.Incremented, Long> {

  public sealed interface Command {}

  /** Adds {@code delta}; the reply is the new value (the value unchanged if it would overflow). */
  public record Increment(long delta, ActorRef<Long> replyTo) implements Command {}

  /** Reads the value (linearizable). */
  public record GetValue(ActorRef<Long> replyTo) implements Command {}

  /** The event: what a committed Increment did. */
  public record Incremented(long delta) {}

  public CounterBehavior(String counterId) {}

  @Override
  public Long emptyState() {
    return 0L;
  }

  @Override
  public CommandHandlerWithReply<Command, Incremented, Long> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Increment.class, (value, inc) -> overflows(value, inc.delta())
            ? Effect().reply(inc.replyTo(), value)
            : Effect().replicate(new Incremented(inc.delta())).thenReply(inc.replyTo(), newValue -> newValue))
        .onCommand(GetValue.class, (value, get) -> Effect().none().thenReply(get.replyTo(), v -> v))
        .build();
  }

  @Override
  public EventHandler<Long, Incremented> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(Incremented.class, (value, e) -> value + e.delta())
        .build();
  }

  private static boolean overflows(long value, long delta) {
    long sum = value + delta;
    return ((value ^ sum) & (delta ^ sum)) < 0;
  }
}
