package io.pekkoraft.testkit.persistence;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;

/**
 * A persistent actor for journal tests: it persists each appended string and answers with every
 * string it holds, after the write is acknowledged. Events are Strings (Pekko's string serializer).
 */
public final class EventLogBehavior extends EventSourcedBehavior<EventLogBehavior.Command, String, List<String>> {

  public sealed interface Command {}

  public record Append(String value, ActorRef<List<String>> replyTo) implements Command {}

  public static Behavior<Command> create(String persistenceId) {
    return new EventLogBehavior(persistenceId);
  }

  private EventLogBehavior(String persistenceId) {
    super(PersistenceId.ofUniqueId(persistenceId));
  }

  @Override
  public List<String> emptyState() {
    return new ArrayList<>();
  }

  @Override
  public CommandHandler<Command, String, List<String>> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(Append.class, (state, cmd) -> Effect().persist(cmd.value())
            .thenReply(cmd.replyTo(), s -> Collections.unmodifiableList(new ArrayList<>(s))))
        .build();
  }

  @Override
  public EventHandler<List<String>, String> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent((state, event) -> {
      state.add(event);
      return state;
    });
  }
}
