package io.pekkoraft.consensus.behavior;

/**
 * A replicated actor in the idiom of Pekko's {@code EventSourcedBehavior} (javadsl): a command handler that
 * decides, events that record, an event handler that changes the state. Declare one per entity id with
 * {@link ReplicatedEntity#of} and talk to it through {@link EntityRef}s.
 *
 * <pre>{@code
 * public final class CounterBehavior extends ReplicatedBehavior<Command, Event, Long> {
 *   public CommandHandler<Command, Event, Long> commandHandler() {
 *     return newCommandHandlerBuilder().forAnyState()
 *         .onCommand(Increment.class, (state, cmd) -> Effect().replicate(new Incremented(cmd.delta()))
 *             .thenReply(cmd.replyTo(), newState -> newState))
 *         .onCommand(GetValue.class, (state, cmd) -> Effect().none().thenReply(cmd.replyTo(), s -> s))
 *         .build();
 *   }
 *   ...
 * }</pre>
 *
 * <p>How it runs (docs/ARCHITECTURE.md, "Replicated behaviors"):
 *
 * <ul>
 *   <li>The command handler runs on the leader only, against the entity's latest applied state. It must be
 *       free of side effects: its events may be refused (below) and the command handled again.
 *   <li>The events it returns are one entry of the Raft log, committed atomically. The entry carries the term
 *       the leader decided in and the entity's sequence number it decided on; every replica applies the
 *       events only if the entry was appended in that same term and no other events of the entity came
 *       between (compare-and-set). So events decided by a deposed leader, or on a state that was not the
 *       latest, never apply; the leader of the moment handles the command again.
 *   <li>Every member runs the event handler on every committed event, in log order, also on replay. It must
 *       be deterministic, side-effect free, and return a new state (states are read from another thread:
 *       keep them immutable).
 *   <li>{@code thenRun} and {@code thenReply} run on the leader after the events are committed and applied,
 *       with the state after them; for {@code none()}, after the read is confirmed (linearizable by default).
 *   <li>Commands travel to the leader, events into the log, states into snapshots and the answers of retries:
 *       register their classes with Kryo ({@code pekko-raft.serialization.registrars}). Replies go from the
 *       leader straight to the {@code replyTo} of the command, as Pekko messages: like any message between
 *       nodes they need a Pekko serializer (Pekko has its own for {@code Long}, {@code String}, ...; implement
 *       {@code RaftSerializable} and register the class with Kryo for your own).
 * </ul>
 */
public abstract class ReplicatedBehavior<Command, Event, State> {

  private final EffectFactories<Event, State> effects = new EffectFactories<>();

  /** The state of an entity before its first event. */
  public abstract State emptyState();

  /** Decides what a command does; see {@link #newCommandHandlerBuilder()}. Called once per entity incarnation. */
  public abstract CommandHandler<Command, Event, State> commandHandler();

  /** Applies committed events; see {@link #newEventHandlerBuilder()}. Called once per entity incarnation. */
  public abstract EventHandler<State, Event> eventHandler();

  /** The effects a command handler returns. */
  protected final EffectFactories<Event, State> Effect() {
    return effects;
  }

  protected final CommandHandlerBuilder<Command, Event, State> newCommandHandlerBuilder() {
    return new CommandHandlerBuilder<>();
  }

  protected final EventHandlerBuilder<State, Event> newEventHandlerBuilder() {
    return new EventHandlerBuilder<>();
  }
}
