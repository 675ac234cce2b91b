package io.pekkoraft.persistence.serialization;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;

class RaftSerializationStartupTest {

  private static Throwable startWith(String registrar) {
    // load(...) resolves the += against the registrars of reference.conf.
    Config config =
        ConfigFactory.load(
            ConfigFactory.parseString(
                "pekko.loglevel = OFF\n"
                    + "pekko.stdout-loglevel = OFF\n"
                    + "pekko-raft.serialization.registrars += \"" + registrar + "\""));
    return assertThrows(
        Throwable.class,
        () -> {
          ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "startup", config);
          system.terminate(); // only reached if the start did not fail
        });
  }

  private static void assertMentions(Throwable failure, String text) {
    StringBuilder messages = new StringBuilder();
    for (Throwable t = failure; t != null; t = t.getCause()) messages.append(t).append('\n');
    assertTrue(messages.toString().contains(text), messages.toString());
  }

  @Test
  void aMissingRegistrarStopsTheStart() {
    // A registrar class that is not on the classpath fails the actor system's start, naming the class.
    Throwable failure = startWith("com.example.NoSuchRegistrar");
    assertMentions(failure, "com.example.NoSuchRegistrar");
    assertMentions(failure, "pekko-raft.serialization.registrars");
  }

  @Test
  void aClassThatIsNotARegistrarStopsTheStart() {
    // A listed class that does not implement KryoRegistrar fails the start too, naming it.
    Throwable failure = startWith("java.lang.String");
    assertMentions(failure, "java.lang.String listed in pekko-raft.serialization.registrars does not implement");
  }
}
