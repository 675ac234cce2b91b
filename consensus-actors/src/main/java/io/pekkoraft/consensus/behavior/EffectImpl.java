package io.pekkoraft.consensus.behavior;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.japi.function.Procedure;

/** The one implementation of the effect interfaces: immutable, each then* returns a copy. */
final class EffectImpl<Event, State> implements EffectBuilder<Event, State>, ReplyEffect<Event, State> {

  enum Kind {
    REPLICATE,
    NONE,
    UNHANDLED,
    STASH
  }

  /** A side effect, run with the state after the events. */
  sealed interface SideEffect<State> {}

  record Run<State>(Procedure<State> callback) implements SideEffect<State> {}

  record Reply<State, R>(ActorRef<R> replyTo, Function<State, R> message) implements SideEffect<State> {}

  record UnstashAll<State>() implements SideEffect<State> {}

  final Kind kind;
  final List<Event> events;
  final List<SideEffect<State>> sideEffects;

  EffectImpl(Kind kind, List<Event> events, List<SideEffect<State>> sideEffects) {
    this.kind = kind;
    this.events = List.copyOf(events);
    this.sideEffects = List.copyOf(sideEffects);
  }

  private EffectImpl<Event, State> with(SideEffect<State> s) {
    List<SideEffect<State>> all = new ArrayList<>(sideEffects);
    all.add(s);
    return new EffectImpl<>(kind, events, all);
  }

  @Override
  public EffectImpl<Event, State> thenRun(Procedure<State> callback) {
    return with(new Run<>(Objects.requireNonNull(callback, "callback")));
  }

  @Override
  public EffectImpl<Event, State> thenUnstashAll() {
    return with(new UnstashAll<>());
  }

  @Override
  public <R> ReplyEffect<Event, State> thenReply(ActorRef<R> replyTo, Function<State, R> replyWithModel) {
    return with(new Reply<>(Objects.requireNonNull(replyTo, "replyTo"), Objects.requireNonNull(replyWithModel, "replyWithModel")));
  }

  @Override
  public ReplyEffect<Event, State> thenNoReply() {
    return this;
  }

  @Override
  public String toString() {
    return "Effect(" + kind + ", " + events.size() + " events, " + sideEffects.size() + " side effects)";
  }
}
