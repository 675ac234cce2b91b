package io.pekkoraft.persistence.snapshot;

import io.pekkoraft.persistence.testing.TckConfig;
import java.nio.file.Path;
import org.apache.pekko.persistence.japi.snapshot.JavaSnapshotStoreSpec;
import org.junit.runner.RunWith;
import org.scalatestplus.junit.JUnitRunner;

/**
 * Pekko's snapshot store plugin TCK against our file snapshot store, on a new temporary directory. The
 * tests are the TCK's own (ScalaTest, run as JUnit 4 by ScalaTest's runner, and by JUnit 5's vintage
 * engine); among them, a snapshot holding an ActorRef, whose serializer needs Pekko's transport information.
 *
 * <p>Surefire's reports list the TCK's tests without names (they are not Java methods); the message of a
 * failure says what was expected.
 */
@RunWith(JUnitRunner.class)
public class SnapshotStoreTckTest extends JavaSnapshotStoreSpec {

  private final Path dir;

  public SnapshotStoreTckTest() {
    this(TckConfig.newDirectory("snapshot-store-tck"));
  }

  private SnapshotStoreTckTest(Path dir) {
    super(TckConfig.of("snapshot-store", SnapshotTestSupport.PLUGIN, dir));
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
