package io.pekkoraft.consensus;

import java.util.Objects;
import java.util.function.Supplier;

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

  private ReplicatedStateMachine(String groupId, Supplier<? extends StateMachine<C, Q, R>> factory) {
    if (groupId == null || !groupId.matches("[A-Za-z0-9_.-]+")) {
      throw new IllegalArgumentException("group id must be non-empty letters, digits, '_', '.' or '-', got: " + groupId);
    }
    this.groupId = groupId;
    this.factory = Objects.requireNonNull(factory, "factory");
  }

  /**
   * @param groupId names the group on every node; it is part of the journal's persistence ids, so it must
   *     never change for a group that holds data
   * @param factory creates a fresh, empty state machine; called once per node start
   */
  public static <C, Q, R> ReplicatedStateMachine<C, Q, R> of(
      String groupId, Supplier<? extends StateMachine<C, Q, R>> factory) {
    return new ReplicatedStateMachine<>(groupId, factory);
  }

  public String groupId() {
    return groupId;
  }

  public Supplier<? extends StateMachine<C, Q, R>> factory() {
    return factory;
  }
}
