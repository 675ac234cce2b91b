package io.pekkoraft.consensus.behavior;

import java.util.List;
import java.util.Objects;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The effects a command handler returns, as Pekko's {@code EffectFactories}, with {@code replicate} in the
 * place of {@code persist}: the events become one entry of the Raft log.
 */
public final class EffectFactories<Event, State> {

  EffectFactories() {}

  /** Replicate one event: once committed, every member applies it to the entity's state. */
  public EffectBuilder<Event, State> replicate(Event event) {
    return replicate(List.of(Objects.requireNonNull(event, "event")));
  }

  /**
   * Replicate the events as one log entry: every member applies all of them or none, in this order. An
   * empty list is {@link #none()}.
   */
  public EffectBuilder<Event, State> replicate(List<Event> events) {
    for (Event e : events) Objects.requireNonNull(e, "an event is null");
    return new EffectImpl<>(events.isEmpty() ? EffectImpl.Kind.NONE : EffectImpl.Kind.REPLICATE, events, List.of());
  }

  /**
   * Nothing to replicate: a read-only command. Its side effects ({@code thenReply}) run once the read is
   * confirmed under the entity's read consistency (linearizable by default).
   */
  public EffectBuilder<Event, State> none() {
    return new EffectImpl<>(EffectImpl.Kind.NONE, List.of(), List.of());
  }

  /** The command is not handled in this state: it is logged at debug level, nothing replicated or answered. */
  public EffectBuilder<Event, State> unhandled() {
    return new EffectImpl<>(EffectImpl.Kind.UNHANDLED, List.of(), List.of());
  }

  /**
   * Keep the command, in the leader's memory, until an effect with {@code thenUnstashAll()} or
   * {@link #unstashAll()}; it is then handled again against the state of that moment. A stash holds at most
   * {@code ReplicatedEntity.withStashCapacity} commands (beyond, a command is dropped with a warning).
   * Like Pekko's stash it lives in memory only: a leader that crashes or steps down loses what it stashed
   * (the sender's ask times out), and passivation never drops an entity whose stash is not empty.
   */
  public EffectBuilder<Event, State> stash() {
    return new EffectImpl<>(EffectImpl.Kind.STASH, List.of(), List.of());
  }

  /** Nothing to replicate; the stashed commands are handled again. */
  public EffectBuilder<Event, State> unstashAll() {
    return none().thenUnstashAll();
  }

  /** Nothing to replicate; answer {@code replyTo} with {@code message} (after the read is confirmed, as for {@link #none()}). */
  public <R> ReplyEffect<Event, State> reply(ActorRef<R> replyTo, R message) {
    return none().thenReply(replyTo, s -> message);
  }

  /** Nothing to replicate and no reply. */
  public ReplyEffect<Event, State> noReply() {
    return none().thenNoReply();
  }
}
