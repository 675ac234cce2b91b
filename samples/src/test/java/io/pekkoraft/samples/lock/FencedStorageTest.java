package io.pekkoraft.samples.lock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pekkoraft.samples.lock.FencedStorage.StaleToken;
import io.pekkoraft.samples.lock.FencedStorage.Written;
import org.junit.jupiter.api.Test;

/** The protected resource accepts the highest token seen and any higher one, and rejects an older token. */
class FencedStorageTest {

  @Test
  void aWriteWithAnOlderTokenThanSeenIsRejectedAndChangesNothing() {
    FencedStorage storage = new FencedStorage();
    assertEquals(new Written("k", 7), storage.write("k", "first", 7));
    assertEquals(new Written("k", 7), storage.write("k", "again", 7), "the same holder writes again");
    assertEquals(new Written("other", 12), storage.write("other", "later", 12));
    assertEquals(new StaleToken("k", 7, 12), storage.write("k", "stale", 7), "token 12 was seen, on any key");
    assertEquals("again", storage.read("k").orElseThrow());
    assertEquals(12, storage.highestToken());
    assertThrows(IllegalArgumentException.class, () -> storage.write("k", "no token", 0));
  }
}
