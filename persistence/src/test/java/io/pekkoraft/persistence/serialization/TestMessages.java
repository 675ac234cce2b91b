package io.pekkoraft.persistence.serialization;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;

/** Messages shaped like an application's, registered by {@link TestKryoRegistrar}. */
final class TestMessages {

  private TestMessages() {}

  enum Color {
    RED,
    GREEN
  }

  record Greeting(String text, String note) implements RaftSerializable {}

  record Palette(Greeting title, Color color, List<Greeting> greetings, Map<String, Long> counts, Set<Color> colors)
      implements RaftSerializable {}

  record Ask(String question, ActorRef<Greeting> replyTo) implements RaftSerializable {}

  /** Never registered: serializing it must fail with its name. */
  record Unregistered(int value) implements RaftSerializable {}

  /** Registered, but holds whatever the test puts in it. */
  record Holder(Object content) implements RaftSerializable {}
}
