package io.pekkoraft.consensus.behavior;

import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Builds a {@link CommandHandler} as Pekko's {@code CommandHandlerBuilder} does: cases per state
 * ({@link #forAnyState}, {@link #forStateType}) and per command class, the first match deciding. A command
 * that no case matches is {@code unhandled()}.
 */
public final class CommandHandlerBuilder<Command, Event, State> {

  private final HandlerCases<State, Command, Effect<Event, State>> cases = new HandlerCases<>();

  CommandHandlerBuilder() {}

  /** Cases for every state. */
  public ByState<State> forAnyState() {
    return new ByState<>(s -> true);
  }

  /** Cases for the states that are instances of {@code stateClass} (a state hierarchy, as in Pekko). */
  public <S extends State> ByState<S> forStateType(Class<S> stateClass) {
    return new ByState<>(stateClass::isInstance);
  }

  /** Cases for the states that {@code statePredicate} accepts. */
  public ByState<State> forState(Predicate<State> statePredicate) {
    @SuppressWarnings("unchecked")
    Predicate<Object> p = s -> statePredicate.test((State) s);
    return new ByState<>(p);
  }

  public CommandHandler<Command, Event, State> build() {
    return (state, command) -> {
      Effect<Event, State> e = cases.apply(state, command);
      return e != null ? e : new EffectFactories<Event, State>().unhandled();
    };
  }

  /** The cases of one kind of state. */
  public final class ByState<S extends State> {
    private final Predicate<Object> stateMatches;

    private ByState(Predicate<Object> stateMatches) {
      this.stateMatches = stateMatches;
    }

    public <C extends Command> ByState<S> onCommand(Class<C> commandClass, BiFunction<S, C, Effect<Event, State>> handler) {
      cases.add(stateMatches, commandClass, handler);
      return this;
    }

    public <C extends Command> ByState<S> onCommand(Class<C> commandClass, Function<C, Effect<Event, State>> handler) {
      return onCommand(commandClass, (S s, C c) -> handler.apply(c));
    }

    /** Cases for another kind of state, in the same handler. */
    public <S2 extends State> CommandHandlerBuilder<Command, Event, State>.ByState<S2> forStateType(Class<S2> stateClass) {
      return CommandHandlerBuilder.this.forStateType(stateClass);
    }

    public CommandHandlerBuilder<Command, Event, State>.ByState<State> forAnyState() {
      return CommandHandlerBuilder.this.forAnyState();
    }

    /** The handler of every case added so far, of every state. */
    public CommandHandler<Command, Event, State> build() {
      return CommandHandlerBuilder.this.build();
    }
  }
}
