package io.cmekflink.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class OrgShareWindowTest {

    @Test
    void windowReturnsTopOrgWhenFull() {
        OrgShareWindow window = new OrgShareWindow(10);
        for (int i = 0; i < 9; i++) {
            assertThat(window.add(i < 7 ? "org-hot" : "org-cold")).isNull();
        }

        OrgShareWindow.Top top = window.add("org-cold");

        assertThat(top).isEqualTo(new OrgShareWindow.Top("org-hot", 7, 10));
        assertThat(top.percent()).isEqualTo(70);
    }

    @Test
    void nextWindowStartsEmpty() {
        OrgShareWindow window = new OrgShareWindow(4);
        for (int i = 0; i < 4; i++) {
            window.add("org-a");
        }
        window.add("org-b");
        window.add("org-b");
        window.add("org-b");

        OrgShareWindow.Top top = window.add("org-a");

        assertThat(top).isEqualTo(new OrgShareWindow.Top("org-b", 3, 4));
        assertThat(top.percent()).isEqualTo(75);
    }

    @Test
    void percentRoundsDown() {
        assertThat(new OrgShareWindow.Top("org-a", 2, 3).percent()).isEqualTo(66);
        assertThat(new OrgShareWindow.Top("org-a", 10_000, 10_000).percent()).isEqualTo(100);
    }

    @Test
    void emptyWindowIsRejected() {
        assertThatThrownBy(() -> new OrgShareWindow(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("window size must be at least 1, got 0");
    }
}
