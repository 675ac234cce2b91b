package io.pekkoraft.persistence.snapshot;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * A persistent actor for snapshot tests: it persists each appended string and answers with all of them
 * joined by commas. Every third event it saves a snapshot and deletes the events the snapshot covers,
 * so its state after a restart can only come back whole through the snapshot store.
 */
final class SnapshottingLogBehavior extends EventSourcedBehavior<SnapshottingLogBehavior.Append, String, String> {

  record Append(String value, ActorRef<String> replyTo) {}

  static Behavior<Append> create(String persistenceId) {
    return new SnapshottingLogBehavior(persistenceId);
  }

  private SnapshottingLogBehavior(String persistenceId) {
    super(PersistenceId.ofUniqueId(persistenceId));
  }

  @Override
  public String emptyState() {
    return "";
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(3, 2).withDeleteEventsOnSnapshot();
  }

  @Override
  public CommandHandler<Append, String, String> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(Append.class, (state, cmd) -> Effect().persist(cmd.value()).thenReply(cmd.replyTo(), s -> s))
        .build();
  }

  @Override
  public EventHandler<String, String> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent((state, event) -> state.isEmpty() ? event : state + "," + event);
  }
}
