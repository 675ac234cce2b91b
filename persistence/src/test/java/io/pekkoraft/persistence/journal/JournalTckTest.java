package io.pekkoraft.persistence.journal;

import io.pekkoraft.persistence.testing.TckConfig;
import java.nio.file.Path;
import org.apache.pekko.persistence.japi.journal.JavaJournalSpec;
import org.junit.runner.RunWith;
import org.scalatestplus.junit.JUnitRunner;

/**
 * Pekko's journal plugin TCK against our segment journal, on a new temporary directory. The tests are
 * the TCK's own (ScalaTest, run as JUnit 4 by ScalaTest's runner, and by JUnit 5's vintage engine).
 *
 * <p>Surefire's reports list the TCK's tests without names (they are not Java methods); the message of a
 * failure says what was expected.
 */
@RunWith(JUnitRunner.class)
public class JournalTckTest extends JavaJournalSpec {

  private static final String PLUGIN = "pekko-raft.journal";
  private final Path dir;

  public JournalTckTest() {
    this(TckConfig.newDirectory("journal-tck"));
  }

  private JournalTckTest(Path dir) {
    super(TckConfig.of("journal", PLUGIN, dir));
    this.dir = dir;
  }

  @Override
  public void afterAll() {
    try {
      super.afterAll();
    } finally {
      TckConfig.delete(dir);
    }
  }
}
