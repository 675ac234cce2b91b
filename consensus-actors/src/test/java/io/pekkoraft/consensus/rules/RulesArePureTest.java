package io.pekkoraft.consensus.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class RulesArePureTest {

  /** Relative to the module directory, which is Maven's working directory for tests. */
  private static final Path RULES = Path.of("src/main/java/io/pekkoraft/consensus/rules");

  private static final Pattern FORBIDDEN_IMPORT =
      Pattern.compile("^\\s*import\\s+(static\\s+)?(org\\.apache\\.pekko\\.|scala\\.)\\S*", Pattern.MULTILINE);

  /** The offending import lines of one source text, empty when the text is pure. */
  static List<String> forbiddenImports(String source) {
    List<String> found = new ArrayList<>();
    Matcher m = FORBIDDEN_IMPORT.matcher(source);
    while (m.find()) found.add(m.group().trim());
    return found;
  }

  @Test
  void theRuleClassesImportNothingFromPekkoOrScala() throws IOException {
    // The rule classes are pure: no source file under rules/ imports org.apache.pekko or scala.
    assertTrue(Files.isDirectory(RULES), "rules sources not found at " + RULES.toAbsolutePath());
    List<String> violations = new ArrayList<>();
    int scanned = 0;
    try (Stream<Path> files = Files.walk(RULES)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".java")).sorted().toList()) {
        scanned++;
        for (String line : forbiddenImports(Files.readString(file))) violations.add(file + ": " + line);
      }
    }
    assertTrue(scanned >= 6, "expected at least the six rule classes, scanned " + scanned);
    assertEquals(List.of(), violations, "rule classes must not depend on Pekko or Scala");
  }

  @Test
  void theScanRecognisesForbiddenImports() {
    // The scan itself catches Pekko and Scala imports, static ones too, and lets java.* through.
    String source = """
        package io.pekkoraft.consensus.rules;
        import java.util.List;
        import org.apache.pekko.actor.typed.ActorRef;
        import static scala.Predef.println;
        import io.pekkoraft.persistence.LogEntry;
        """;
    assertEquals(List.of("import org.apache.pekko.actor.typed.ActorRef;", "import static scala.Predef.println;"),
        forbiddenImports(source));
    assertEquals(List.of(), forbiddenImports("import java.util.Set;\nimport io.pekkoraft.scalable.X;\n"));
  }
}
