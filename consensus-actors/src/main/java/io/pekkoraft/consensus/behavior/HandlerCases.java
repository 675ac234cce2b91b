package io.pekkoraft.consensus.behavior;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Predicate;

/** Ordered (state predicate, message class, handler) cases: the first that matches decides. */
final class HandlerCases<State, Message, Result> {

  private record Case<State, Message, Result>(
      Predicate<Object> stateMatches, Class<?> messageClass, BiFunction<State, Message, Result> handler) {}

  private final List<Case<State, Message, Result>> cases = new ArrayList<>();

  @SuppressWarnings("unchecked")
  <S, M> void add(Predicate<Object> stateMatches, Class<M> messageClass, BiFunction<S, M, ? extends Result> handler) {
    cases.add(new Case<>(stateMatches, messageClass, (BiFunction<State, Message, Result>) (BiFunction<?, ?, ?>) handler));
  }

  /** The handler's result, or null when no case matches. */
  Result apply(State state, Message message) {
    for (Case<State, Message, Result> c : cases) {
      if (c.stateMatches.test(state) && c.messageClass.isInstance(message)) return c.handler.apply(state, message);
    }
    return null;
  }

}
