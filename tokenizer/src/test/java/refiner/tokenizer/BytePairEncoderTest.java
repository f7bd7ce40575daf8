package refiner.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** BPE merge order on handcrafted rules. */
class BytePairEncoderTest {
    private static List<String[]> rules(String... lines) {
        List<String[]> out = new ArrayList<>();
        for (String l : lines) out.add(l.split(" "));
        return out;
    }

    @Test
    void lowestRankMergesFirstEverywhere() {
        BytePairEncoder bpe = new BytePairEncoder(rules("a a", "aa a</w>", "b a"), 0);
        // "a a" merges at both non-overlapping places, left to right: aa, aa, a</w> -> aa, aaa</w>
        assertArrayEquals(new String[] {"aa", "aaa</w>"}, bpe.encode("aaaaa"));
        // "a a" (rank 0) takes the a after b before "b a" (rank 2) is considered
        assertArrayEquals(new String[] {"b", "aaa</w>"}, bpe.encode("baaa"));
    }

    @Test
    void singleCharacterWordGetsEndOfWord() {
        BytePairEncoder bpe = new BytePairEncoder(rules(), 0);
        assertArrayEquals(new String[] {"x</w>"}, bpe.encode("x"));
    }

    @Test
    void repeatedRuleTakesItsLaterRank() {
        BytePairEncoder bpe = new BytePairEncoder(rules("a b", "b c</w>", "a b"), 0);
        assertArrayEquals(new String[] {"a", "bc</w>"}, bpe.encode("abc"));
    }

    @Test
    void manyRulesSurviveTableGrowth() {
        List<String[]> rules = new ArrayList<>();
        for (int i = 0; i < 5000; i++) rules.add(new String[] {"x" + i, "y" + i});
        rules.add(new String[] {"q", "r</w>"});
        BytePairEncoder bpe = new BytePairEncoder(rules, 16);
        assertArrayEquals(new String[] {"p", "qr</w>"}, bpe.encode("pqr"));
        assertArrayEquals(new String[] {"p", "qr</w>"}, bpe.encode("pqr"));
    }
}
