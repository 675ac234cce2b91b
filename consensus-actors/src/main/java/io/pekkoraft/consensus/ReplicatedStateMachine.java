package io.pekkoraft.consensus;

import java.util.Objects;
import io.pekkoraft.consensus.transport.Transport;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

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

  private ReplicatedStateMachine(String groupId, Supplier<? extends StateMachine<C, Q, R>> factory,
      UnaryOperator<Transport> transportDecorator) {
    if (groupId == null || !groupId.matches("[A-Za-z0-9_.-]+")) {
      throw new IllegalArgumentException("group id must be non-empty letters, digits, '_', '.' or '-', got: " + groupId);
    }
    this.groupId = groupId;
    this.factory = Objects.requireNonNull(factory, "factory");
    this.transportDecorator = Objects.requireNonNull(transportDecorator, "transportDecorator");
  }

  /**
   * @param groupId names the group on every node; it is part of the journal's persistence ids, so it must
   *     never change for a group that holds data
   * @param factory creates a fresh, empty state machine; called once per node start
   */
  public static <C, Q, R> ReplicatedStateMachine<C, Q, R> of(
      String groupId, Supplier<? extends StateMachine<C, Q, R>> factory) {
    return new ReplicatedStateMachine<>(groupId, factory, UnaryOperator.identity());
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
    return new ReplicatedStateMachine<>(groupId, factory, t -> decorator.apply(before.apply(t)));
  }

  public UnaryOperator<Transport> transportDecorator() {
    return transportDecorator;
  }
}
