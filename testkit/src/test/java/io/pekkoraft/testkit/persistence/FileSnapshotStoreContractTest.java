package io.pekkoraft.testkit.persistence;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.nio.file.Path;

/**
 * The snapshot store contract, against our file snapshot store. What is particular to that store (file
 * names, leftovers of a crashed save, Kryo) is checked by FileSnapshotStoreTest in pekko-raft-persistence.
 */
class FileSnapshotStoreContractTest extends SnapshotStoreContractSuite {

  @Override
  protected Config snapshotStoreConfig(Path dir) {
    return ConfigFactory.empty().withValue("pekko-raft.snapshot-store.dir", ConfigValueFactory.fromAnyRef(dir.toString()));
  }

  @Override
  protected String snapshotPluginId() {
    return "pekko-raft.snapshot-store";
  }
}
