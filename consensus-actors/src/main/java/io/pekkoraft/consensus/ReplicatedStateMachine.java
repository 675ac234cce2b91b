package io.pekkoraft.consensus;

import java.util.Objects;
import io.pekkoraft.consensus.transport.Transport;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.apache.pekko.annotation.InternalApi;

/**
 * Declares a replicated state machine: the Raft group's id and how to create the state machine on each
 * node. Pass it to {@link PekkoRaft#init}, like Cluster Sharding's {@code Entity.of}.
 *
 * <pre>{@code
 * RaftGroup<Command, Query, Long> counter =
 *     PekkoRaft.get(system).init(ReplicatedStateMachine.of("counter", CounterStateMachine::new));
 * }</pre>
 */
public final class ReplicatedStateMachine<C, Q, R> {

  private final String groupId;
  private final Supplier<? extends StateMachine<C, Q, R>> factory;
  private final UnaryOperator<Transport> transportDecorator;
  /** Null: System.nanoTime. */
  private final LongSupplier leaseClock;

  private ReplicatedStateMachine(String groupId, Supplier<? extends StateMachine<C, Q, R>> factory,
      UnaryOperator<Transport> transportDecorator, LongSupplier leaseClock) {
    if (groupId == null || !groupId.matches("[A-Za-z0-9_.-]+")) {
      throw new IllegalArgumentException("group id must be non-empty letters, digits, '_', '.' or '-', got: " + groupId);
    }
    this.groupId = groupId;
    this.factory = Objects.requireNonNull(factory, "factory");
    this.transportDecorator = Objects.requireNonNull(transportDecorator, "transportDecorator");
    this.leaseClock = leaseClock;
  }

  /**
   * @param groupId names the group on every node; it is part of the journal's persistence ids, so it must
   *     never change for a group that holds data
   * @param factory creates a fresh, empty state machine; called once per node start
   */
  public static <C, Q, R> ReplicatedStateMachine<C, Q, R> of(
      String groupId, Supplier<? extends StateMachine<C, Q, R>> factory) {
    return new ReplicatedStateMachine<>(groupId, factory, UnaryOperator.identity(), null);
  }

  public String groupId() {
    return groupId;
  }

  public Supplier<? extends StateMachine<C, Q, R>> factory() {
    return factory;
  }

  /**
   * The same declaration, with the node's transport to its peers passed through {@code decorator}: for
   * fault injection (drop or delay what goes to some peers), tracing or metrics. The decorator must keep
   * the {@link Transport} contract; dropping messages is safe, Raft tolerates any loss.
   */
  public ReplicatedStateMachine<C, Q, R> withTransport(UnaryOperator<Transport> decorator) {
    UnaryOperator<Transport> before = transportDecorator;
    return new ReplicatedStateMachine<>(groupId, factory, t -> decorator.apply(before.apply(t)), leaseClock);
  }

  public UnaryOperator<Transport> transportDecorator() {
    return transportDecorator;
  }

  /**
   * The same declaration, with the leader's read lease timed on {@code nanos} (a monotonic clock in
   * nanoseconds) instead of {@code System.nanoTime}: for fault injection only, a clock that runs at another
   * rate, to show what {@code pekko-raft.read.lease-clock-drift-margin} protects against.
   */
  @InternalApi
  public ReplicatedStateMachine<C, Q, R> withLeaseClock(LongSupplier nanos) {
    return new ReplicatedStateMachine<>(groupId, factory, transportDecorator, Objects.requireNonNull(nanos, "nanos"));
  }

  /** The clock of {@link #withLeaseClock}, or null (System.nanoTime). */
  @InternalApi
  public LongSupplier leaseClock() {
    return leaseClock;
  }
}
