package io.pekkoraft.consensus.behavior;

import java.time.Duration;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;

/** The handle {@link ReplicatedEntities#init} returns: entity references for one group, on this member. */
public final class ReplicatedEntityGroup<C> {

  private final String groupId;
  private final ActorRef<EntityHost.HostCommand> host;
  private final ActorSystem<?> system;
  private final Duration askTimeout;

  ReplicatedEntityGroup(String groupId, ActorRef<EntityHost.HostCommand> host, ActorSystem<?> system, Duration askTimeout) {
    this.groupId = groupId;
    this.host = host;
    this.system = system;
    this.askTimeout = askTimeout;
  }

  /** The group of any group id, on any member. */
  public static <C> ReplicatedEntityGroup<C> of(String groupId, ActorRef<EntityHost.HostCommand> host,
      ActorSystem<?> system, Duration askTimeout) {
    return new ReplicatedEntityGroup<>(groupId, host, system, askTimeout);
  }

  public String groupId() {
    return groupId;
  }

  /** The entity {@code entityId}; its behavior is created on demand, on the leader. */
  public EntityRef<C> entityRefFor(String entityId) {
    return new EntityRef<>(entityId, host, system, askTimeout);
  }

  /** This member's host (the actor protocol, for tests and monitoring). */
  public ActorRef<EntityHost.HostCommand> host() {
    return host;
  }
}
