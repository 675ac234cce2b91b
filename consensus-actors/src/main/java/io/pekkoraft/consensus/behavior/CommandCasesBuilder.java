package io.pekkoraft.consensus.behavior;

import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * What {@link CommandHandlerBuilder} and {@link CommandHandlerWithReplyBuilder} share, as Pekko's
 * {@code CommandHandlerBuilder}: cases per state ({@link #forAnyState}, {@link #forStateType},
 * {@link #forState}) and per command class, the first match deciding. Every case returns an {@code E}
 * ({@link Effect}, or {@link ReplyEffect} where replies are enforced, so a case that forgets to reply does not
 * compile), and {@link #build} gives an {@code H}.
 *
 * @param <E> the effect every case returns
 * @param <H> the command handler built
 */
public abstract sealed class CommandCasesBuilder<Command, Event, State, E extends Effect<Event, State>,
    H extends CommandHandler<Command, Event, State>> permits CommandHandlerBuilder, CommandHandlerWithReplyBuilder {

  private final HandlerCases<State, Command, E> cases = new HandlerCases<>();
  /** The effect of a command no case matches. */
  private final Supplier<E> unhandled;
  /** The handler around the cases. */
  private final Function<BiFunction<State, Command, E>, H> handler;

  CommandCasesBuilder(Supplier<E> unhandled, Function<BiFunction<State, Command, E>, H> handler) {
    this.unhandled = unhandled;
    this.handler = handler;
  }

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

  /** The handler of every case added so far, of every state. */
  public H build() {
    return handler.apply((state, command) -> {
      E e = cases.apply(state, command);
      return e != null ? e : unhandled.get();
    });
  }

  /** The cases of one kind of state. */
  public final class ByState<S extends State> {
    private final Predicate<Object> stateMatches;

    private ByState(Predicate<Object> stateMatches) {
      this.stateMatches = stateMatches;
    }

    public <C extends Command> ByState<S> onCommand(Class<C> commandClass, BiFunction<S, C, E> handler) {
      cases.add(stateMatches, commandClass, handler);
      return this;
    }

    public <C extends Command> ByState<S> onCommand(Class<C> commandClass, Function<C, E> handler) {
      return onCommand(commandClass, (S s, C c) -> handler.apply(c));
    }

    /** Cases for another kind of state, in the same handler. */
    public <S2 extends State> ByState<S2> forStateType(Class<S2> stateClass) {
      return CommandCasesBuilder.this.forStateType(stateClass);
    }

    public ByState<State> forAnyState() {
      return CommandCasesBuilder.this.forAnyState();
    }

    /** The handler of every case added so far, of every state. */
    public H build() {
      return CommandCasesBuilder.this.build();
    }
  }
}
