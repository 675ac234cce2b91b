package io.pekkoraft.consensus.behavior;

import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Builds an {@link EventHandler} as Pekko's {@code EventHandlerBuilder}: cases per state and event class,
 * the first match deciding. An event no case matches is a broken invariant (the command handler replicated
 * it, so the event handler must know it): applying it throws, which stops the member loudly rather than
 * let replicas diverge.
 */
public final class EventHandlerBuilder<State, Event> {

  private final HandlerCases<State, Event, State> cases = new HandlerCases<>();

  EventHandlerBuilder() {}

  public ByState<State> forAnyState() {
    return new ByState<>(s -> true);
  }

  public <S extends State> ByState<S> forStateType(Class<S> stateClass) {
    return new ByState<>(stateClass::isInstance);
  }

  public ByState<State> forState(Predicate<State> statePredicate) {
    @SuppressWarnings("unchecked")
    Predicate<Object> p = s -> statePredicate.test((State) s);
    return new ByState<>(p);
  }

  public EventHandler<State, Event> build() {
    return (state, event) -> {
      State next = cases.apply(state, event);
      if (next == null) {
        throw new UnhandledEventError("no event handler case for event " + event.getClass().getName()
            + " in state " + (state == null ? "null" : state.getClass().getName()) + " (or a case returned null)");
      }
      return next;
    };
  }

  public final class ByState<S extends State> {
    private final Predicate<Object> stateMatches;

    private ByState(Predicate<Object> stateMatches) {
      this.stateMatches = stateMatches;
    }

    public <E extends Event> ByState<S> onEvent(Class<E> eventClass, BiFunction<S, E, State> handler) {
      cases.add(stateMatches, eventClass, handler);
      return this;
    }

    public <E extends Event> ByState<S> onEvent(Class<E> eventClass, Function<E, State> handler) {
      return onEvent(eventClass, (S s, E e) -> handler.apply(e));
    }

    public <S2 extends State> EventHandlerBuilder<State, Event>.ByState<S2> forStateType(Class<S2> stateClass) {
      return EventHandlerBuilder.this.forStateType(stateClass);
    }

    public EventHandlerBuilder<State, Event>.ByState<State> forAnyState() {
      return EventHandlerBuilder.this.forAnyState();
    }

    public EventHandler<State, Event> build() {
      return EventHandlerBuilder.this.build();
    }
  }

  /**
   * An event the handler has no case for: an Error, not a RuntimeException, because a committed event
   * that a replica cannot apply must stop it (the runner stops the member on an Error) instead of being
   * refused as a failed command while other replicas with other code apply it.
   */
  public static final class UnhandledEventError extends Error {
    public UnhandledEventError(String message) {
      super(message);
    }
  }
}
