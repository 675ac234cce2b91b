package io.pekkoraft.consensus.behavior;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.japi.function.Function;

/**
 * A reference to one replicated entity, like Cluster Sharding's {@code EntityRef}: usable from any member.
 * Commands go to the leader's command handler through this member's host, which sends them again (same
 * caller sequence number, so never applied twice) while no leader is known, after a leader change, and when
 * the leader could not tell whether the events committed, until the ask timeout.
 */
public final class EntityRef<C> {

  private final String entityId;
  private final ActorRef<EntityHost.HostCommand> host;
  private final ActorSystem<?> system;
  private final Duration defaultTimeout;

  EntityRef(String entityId, ActorRef<EntityHost.HostCommand> host, ActorSystem<?> system, Duration defaultTimeout) {
    this.entityId = Objects.requireNonNull(entityId, "entityId");
    this.host = host;
    this.system = system;
    this.defaultTimeout = defaultTimeout;
  }

  public String entityId() {
    return entityId;
  }

  /** Send {@code command}, sent again for up to {@code pekko-raft.client.ask-timeout} until the leader handled it. */
  public void tell(C command) {
    host.tell(new EntityHost.Submit(entityId, Objects.requireNonNull(command, "command"), defaultTimeout));
  }

  /**
   * Send the command made with a reply address, and complete with the reply, or fail with a
   * {@code TimeoutException} after {@code timeout} (outcome unknown: it may still apply, once).
   */
  public <R> CompletionStage<R> ask(Function<ActorRef<R>, C> makeCommand, Duration timeout) {
    return AskPattern.ask(host, (ActorRef<R> replyTo) -> {
      try {
        return new EntityHost.Submit(entityId, makeCommand.apply(replyTo), timeout);
      } catch (Exception e) {
        throw new IllegalArgumentException("making the command for entity " + entityId + " failed", e);
      }
    }, timeout, system.scheduler());
  }

  @Override
  public String toString() {
    return "EntityRef(" + entityId + ")";
  }
}
