package io.pekkoraft.consensus.behavior;

import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Builds a {@link CommandHandlerWithReply}: like {@link CommandHandlerBuilder}, but every case returns a
 * {@link ReplyEffect}, so a handler that forgets to reply does not compile. A command no case matches is
 * {@code unhandled()} with no reply.
 */
public final class CommandHandlerWithReplyBuilder<Command, Event, State> {

  private final HandlerCases<State, Command, ReplyEffect<Event, State>> cases = new HandlerCases<>();

  CommandHandlerWithReplyBuilder() {}

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

  public CommandHandlerWithReply<Command, Event, State> build() {
    return (state, command) -> {
      ReplyEffect<Event, State> e = cases.apply(state, command);
      return e != null ? e : new EffectFactories<Event, State>().unhandled().thenNoReply();
    };
  }

  public final class ByState<S extends State> {
    private final Predicate<Object> stateMatches;

    private ByState(Predicate<Object> stateMatches) {
      this.stateMatches = stateMatches;
    }

    public <C extends Command> ByState<S> onCommand(Class<C> commandClass, BiFunction<S, C, ReplyEffect<Event, State>> handler) {
      cases.add(stateMatches, commandClass, handler);
      return this;
    }

    public <C extends Command> ByState<S> onCommand(Class<C> commandClass, Function<C, ReplyEffect<Event, State>> handler) {
      return onCommand(commandClass, (S s, C c) -> handler.apply(c));
    }

    public <S2 extends State> CommandHandlerWithReplyBuilder<Command, Event, State>.ByState<S2> forStateType(Class<S2> stateClass) {
      return CommandHandlerWithReplyBuilder.this.forStateType(stateClass);
    }

    public CommandHandlerWithReplyBuilder<Command, Event, State>.ByState<State> forAnyState() {
      return CommandHandlerWithReplyBuilder.this.forAnyState();
    }

    public CommandHandlerWithReply<Command, Event, State> build() {
      return CommandHandlerWithReplyBuilder.this.build();
    }
  }
}
