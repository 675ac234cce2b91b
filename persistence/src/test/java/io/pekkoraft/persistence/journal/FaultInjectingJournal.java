package io.pekkoraft.persistence.journal;

import com.typesafe.config.Config;
import java.io.IOException;

/** The segment journal on {@link FaultyDisk#SHARED}, for tests that make the disk fail under Pekko. */
public final class FaultInjectingJournal extends SegmentJournal {

  public FaultInjectingJournal(Config config, String configPath) throws IOException {
    super(config, configPath, FaultyDisk.SHARED);
  }
}
