package io.pekkoraft.consensus.behavior;

import io.pekkoraft.consensus.ReadConsistency;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Function;

/**
 * Declares a group of replicated entities, like Cluster Sharding's {@code Entity.of}: the Raft group's id
 * and how to create the behavior of an entity id. Pass it to {@link ReplicatedEntities#init}. Every member
 * must declare the same (same group id, same behavior code, same settings that name "every replica").
 *
 * <pre>{@code
 * ReplicatedEntityGroup<CounterBehavior.Command> counters = ReplicatedEntities.get(system)
 *     .init(ReplicatedEntity.of("counters", CounterBehavior::new));
 * counters.entityRefFor("a").ask(replyTo -> new CounterBehavior.Increment(1, replyTo), Duration.ofSeconds(5));
 * }</pre>
 */
public final class ReplicatedEntity<C, E, S> {

  private final String groupId;
  private final Function<String, ? extends ReplicatedBehavior<C, E, S>> factory;
  private final ReadConsistency readConsistency;
  private final Duration passivateAfter;
  private final Duration attemptTimeout;
  private final Duration callerTtl;
  private final int callersMax;
  private final int stashCapacity;
  private final int behaviorsMax;
  private final int statesMax;

  private ReplicatedEntity(String groupId, Function<String, ? extends ReplicatedBehavior<C, E, S>> factory,
      ReadConsistency readConsistency, Duration passivateAfter, Duration attemptTimeout, Duration callerTtl,
      int callersMax, int stashCapacity, int behaviorsMax, int statesMax) {
    this.groupId = Objects.requireNonNull(groupId, "groupId");
    this.factory = Objects.requireNonNull(factory, "factory");
    this.readConsistency = Objects.requireNonNull(readConsistency, "readConsistency");
    this.passivateAfter = positive(passivateAfter, "passivateAfter");
    this.attemptTimeout = positive(attemptTimeout, "attemptTimeout");
    this.callerTtl = positive(callerTtl, "callerTtl");
    if (callersMax < 1 || stashCapacity < 0 || behaviorsMax < 1 || statesMax < 1) {
      throw new IllegalArgumentException("callersMax, behaviorsMax and statesMax must be positive, stashCapacity not negative");
    }
    this.statesMax = statesMax;
    this.callersMax = callersMax;
    this.stashCapacity = stashCapacity;
    this.behaviorsMax = behaviorsMax;
  }

  private static Duration positive(Duration d, String name) {
    if (d == null || d.isNegative() || d.isZero()) throw new IllegalArgumentException(name + " must be positive, got " + d);
    return d;
  }

  /**
   * @param groupId the Raft group all entities of this declaration share (one log, the entity id in each
   *     entry); part of the journal's persistence ids, so it must never change for a group that holds data
   * @param factory the behavior of an entity id, created on demand (on the leader for commands, on every
   *     member for its empty state and event handler), again after passivation
   */
  public static <C, E, S> ReplicatedEntity<C, E, S> of(String groupId,
      Function<String, ? extends ReplicatedBehavior<C, E, S>> factory) {
    return new ReplicatedEntity<>(groupId, factory, ReadConsistency.LINEARIZABLE, Duration.ofMinutes(2),
        Duration.ofSeconds(2), Duration.ofMinutes(10), 100_000, 1_000, 10_000, 10_000);
  }

  /**
   * The consistency under which a command answered without events ({@code none().thenReply}) is answered.
   * Default LINEARIZABLE: the leader confirms it still leads, and that the entity has not changed, before
   * answering. STALE answers from the leader's applied state at once (may miss a command acknowledged just
   * before, or come from a deposed leader).
   */
  public ReplicatedEntity<C, E, S> withReadConsistency(ReadConsistency consistency) {
    return new ReplicatedEntity<>(groupId, factory, consistency, passivateAfter, attemptTimeout, callerTtl, callersMax,
        stashCapacity, behaviorsMax, statesMax);
  }

  /**
   * An entity whose behavior has handled no command for this long (and has nothing stashed or under way) is
   * dropped from the leader's memory, its state too; on every member, a state no command or event used for
   * this long of log time leaves memory. A state leaves memory only once the latest snapshot holds it as it
   * is (else at the next snapshot), and comes back from that snapshot when a command or a committed event
   * needs it. Default 2 minutes.
   */
  public ReplicatedEntity<C, E, S> withPassivateAfter(Duration idle) {
    return new ReplicatedEntity<>(groupId, factory, readConsistency, idle, attemptTimeout, callerTtl, callersMax,
        stashCapacity, behaviorsMax, statesMax);
  }

  /**
   * At most this many entity states in memory on each member (least recently used out first, once the latest
   * snapshot holds them as they are); the others are read back from the snapshot when needed, one record each.
   * Default 10,000. Danger: entities changed since the latest snapshot stay in memory until the next one
   * (snapshot.every-entries, every-time), so the bound can be exceeded by that many; a bound below the
   * working set reads the snapshot file at each command (each read decompresses the file up to the record).
   * A member's own choice: members may differ.
   */
  public ReplicatedEntity<C, E, S> withStatesMax(int max) {
    return new ReplicatedEntity<>(groupId, factory, readConsistency, passivateAfter, attemptTimeout, callerTtl, callersMax,
        stashCapacity, behaviorsMax, max);
  }

  /** A command without an answer from the leader's host for this long is sent again (same sequence). Default 2 s. */
  public ReplicatedEntity<C, E, S> withAttemptTimeout(Duration timeout) {
    return new ReplicatedEntity<>(groupId, factory, readConsistency, passivateAfter, timeout, callerTtl, callersMax,
        stashCapacity, behaviorsMax, statesMax);
  }

  /**
   * How long, in log time, the replicated state remembers a caller's applied commands after its last one, so
   * that a retry gets the first outcome. Default 10 minutes. Danger: it must be longer than every ask timeout,
   * or a retry after it applies again; it must be the same on every member (it decides what replicas apply).
   */
  public ReplicatedEntity<C, E, S> withCallerTtl(Duration ttl) {
    return new ReplicatedEntity<>(groupId, factory, readConsistency, passivateAfter, attemptTimeout, ttl, callersMax,
        stashCapacity, behaviorsMax, statesMax);
  }

  /** At most this many callers are remembered (the least recently active forgotten first). Default 100,000; same on every member. */
  public ReplicatedEntity<C, E, S> withCallersMax(int max) {
    return new ReplicatedEntity<>(groupId, factory, readConsistency, passivateAfter, attemptTimeout, callerTtl, max,
        stashCapacity, behaviorsMax, statesMax);
  }

  /** At most this many commands stashed per entity; beyond, a command is dropped with a warning. Default 1,000. */
  public ReplicatedEntity<C, E, S> withStashCapacity(int capacity) {
    return new ReplicatedEntity<>(groupId, factory, readConsistency, passivateAfter, attemptTimeout, callerTtl, callersMax,
        capacity, behaviorsMax, statesMax);
  }

  public String groupId() {
    return groupId;
  }

  public Function<String, ? extends ReplicatedBehavior<C, E, S>> factory() {
    return factory;
  }

  public ReadConsistency readConsistency() {
    return readConsistency;
  }

  public Duration passivateAfter() {
    return passivateAfter;
  }

  public Duration attemptTimeout() {
    return attemptTimeout;
  }

  public Duration callerTtl() {
    return callerTtl;
  }

  public int callersMax() {
    return callersMax;
  }

  public int stashCapacity() {
    return stashCapacity;
  }

  /** At most this many behavior instances (empty state, event handler) kept by each member's state machine. */
  public int behaviorsMax() {
    return behaviorsMax;
  }

  /** At most this many entity states in memory on each member (see {@link #withStatesMax}). */
  public int statesMax() {
    return statesMax;
  }

  /** A new, empty state machine for one member. */
  public EntityStore<C, E, S> newStore() {
    return new EntityStore<>(factory, callerTtl.toMillis(), callersMax, behaviorsMax, passivateAfter.toMillis(), statesMax);
  }
}
