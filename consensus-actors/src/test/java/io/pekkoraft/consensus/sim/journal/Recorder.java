package io.pekkoraft.consensus.sim.journal;

import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;

/** The smallest persistent actor that shows what SimJournal keeps: it records Strings and reports them. */
final class Recorder extends EventSourcedBehaviorWithEnforcedReplies<Recorder.Command, String, List<String>> {

  sealed interface Command {}

  /** Persists all events atomically, then replies. */
  record RecordAll(List<String> events, ActorRef<Done> replyTo) implements Command {}

  record GetRecorded(ActorRef<Recorded> replyTo) implements Command {}

  record Recorded(List<String> events, long lastSequenceNr) {}

  private final ActorContext<Command> ctx;
  private final String journalPluginId;

  private Recorder(String persistenceId, String journalPluginId, ActorContext<Command> ctx) {
    super(PersistenceId.ofUniqueId(persistenceId));
    this.ctx = ctx;
    this.journalPluginId = journalPluginId;
  }

  /** A recorder on the configured default journal. */
  static Behavior<Command> create(String persistenceId) {
    return create(persistenceId, "");
  }

  static Behavior<Command> create(String persistenceId, String journalPluginId) {
    return Behaviors.setup(ctx -> new Recorder(persistenceId, journalPluginId, ctx));
  }

  @Override
  public String journalPluginId() {
    return journalPluginId;
  }

  @Override
  public List<String> emptyState() {
    return List.of();
  }

  @Override
  public CommandHandlerWithReply<Command, String, List<String>> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(RecordAll.class, (state, c) ->
            Effect().persist(c.events()).thenReply(c.replyTo(), s -> Done.getInstance()))
        .onCommand(GetRecorded.class, (state, c) ->
            Effect().reply(c.replyTo(), new Recorded(state, lastSequenceNumber(ctx))))
        .build();
  }

  @Override
  public EventHandler<List<String>, String> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onAnyEvent((state, event) -> {
          List<String> next = new ArrayList<>(state);
          next.add(event);
          return List.copyOf(next);
        });
  }
}
