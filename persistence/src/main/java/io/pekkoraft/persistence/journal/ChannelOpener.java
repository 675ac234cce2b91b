package io.pekkoraft.persistence.journal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.Set;

/**
 * Opens the segment files. The default is {@link FileChannel#open}; tests pass one that fails on
 * demand, to show what the journal does when the disk does (full disk, I/O error).
 */
@FunctionalInterface
public interface ChannelOpener {

  ChannelOpener DEFAULT = FileChannel::open;

  FileChannel open(Path path, Set<? extends OpenOption> options) throws IOException;
}
