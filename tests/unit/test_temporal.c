/* test_temporal.c - each family of temporal rules, the vetoes, anchoring,
 * tense, modifiers and bounds, through the whole pipeline. */
#include "helpers.h"

/* "text=TYPE:value[:attr...]|..." for the spans of TEXT with document date
 * DCT (NULL: none); static buffer. */
static const char *timex_of(nm_pipeline *p, const char *text, const char *dct)
{
    static char out[4096];
    const nm_result *r;
    nm_doc_opts o = {0};
    o.dct = dct;
    if (nm_pipeline_run(p, text, strlen(text), &o, &r) < 0)
        fail_msg("run: %s", nm_pipeline_errmsg(p));
    size_t n = 0;
    out[0] = '\0';
    const char *json;
    size_t jlen;
    nm_result_json(r, &json, &jlen);
    bool any = false;
    for (size_t i = 0; i < nm_result_n_spans(r); i++) {
        nm_span s;
        nm_result_span(r, i, &s);
        /* the temporal spans only: entities have tests of their own */
        if (strcmp(s.type, "DATE") && strcmp(s.type, "TIME") && strcmp(s.type, "DURATION") &&
            strcmp(s.type, "SET"))
            continue;
        n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%.*s=%s:%s", any ? "|" : "",
                              (int)(s.end - s.start), text + s.start, s.type, s.value ? s.value : "");
        any = true;
        /* attributes, as the JSON has them */
        char key[96];
        snprintf(key, sizeof(key), "\"start\":%zu,\"end\":%zu,\"type\":\"%s\"", s.start, s.end, s.type);
        const char *sp = strstr(json, key);
        const char *end = sp ? strchr(sp, '}') : NULL;
        static const char *const attrs[] = {"mod", "bound", "anchor"};
        for (size_t k = 0; sp && k < 3; k++) {
            char ak[32];
            snprintf(ak, sizeof(ak), "\"%s\":\"", attrs[k]);
            const char *a = strstr(sp, ak);
            if (a && a < end) {
                a += strlen(ak);
                n += (size_t)snprintf(out + n, sizeof(out) - n, ":%s=%.*s", attrs[k],
                                      (int)strcspn(a, "\""), a);
            }
        }
    }
    return out;
}

#define TX(text, dct, want) assert_string_equal(timex_of(f->p, text, dct), want)
#define DCT "2025-10-28" /* a Tuesday */

static void test_temporal__explicit_dates(void **state)
{
    FX_BEGIN;
    TX("It closed on Jan. 21, 2025.", DCT, "Jan. 21, 2025=DATE:2025-01-21");
    TX("It closed on 21 January 2025.", DCT, "21 January 2025=DATE:2025-01-21");
    TX("It closed on 2025-01-21.", DCT, "2025-01-21=DATE:2025-01-21");
    /* m/d/y: the US order is the documented reading of a slashed date */
    TX("It closed on 1/21/2025.", DCT, "1/21/2025=DATE:2025-01-21");
    /* over 12 first: day/month; dots: day.month.year */
    TX("It closed on 21/01/2025.", DCT, "21/01/2025=DATE:2025-01-21");
    TX("It closed on 21.01.2025 and on 03/11/2025.", DCT,
       "21.01.2025=DATE:2025-01-21|03/11/2025=DATE:2025-03-11");
    TX("It runs version 1.5.2 now.", DCT, "now=DATE:PRESENT_REF");
    TX("Sales rose in March 2024.", DCT, "March 2024=DATE:2024-03");
    TX("The plant opened in 1998.", DCT, "1998=DATE:1998");
    TX("Prices fell in the 1990s.", DCT, "the 1990s=DATE:199");
    TX("Profit rose in the third quarter of 2024.", DCT, "the third quarter of 2024=DATE:2024-Q3");
    TX("Profit rose in Q2 2025.", DCT, "Q2 2025=DATE:2025-Q2");
    TX("It cuts the deficit by FY2027 and again in FY 2028.", DCT,
       "FY2027=DATE:2027:bound=until|FY 2028=DATE:2028");
    TX("It sells bonds in the first half of next year.", DCT, "the first half of next year=DATE:2026-H1");
    TX("The line opens in the spring of next year.", DCT, "the spring of next year=DATE:2026-SP");
    TX("It books a charge in its first-half results.", DCT, "first-half=DATE:2025-H1");
    /* "the first half" alone is a half-year where the sentence talks
     * business, not in a match report */
    TX("Orders picked up after weak demand in the first half.", DCT, "the first half=DATE:2025-H1");
    TX("He scored twice in the first half.", DCT, "");
    TX("Sales grow in the second half of 2026.", DCT, "the second half of 2026=DATE:2026-H2");
    TX("It happened in the 20th century.", DCT, "the 20th century=DATE:19");
    FX_END;
}

static void test_temporal__relative_dates_anchor_to_dct(void **state)
{
    FX_BEGIN;
    TX("He left yesterday.", DCT, "yesterday=DATE:2025-10-27");
    TX("It opens tomorrow.", DCT, "tomorrow=DATE:2025-10-29");
    TX("Sales fell last year.", DCT, "last year=DATE:2024");
    TX("Sales will rise next month.", DCT, "next month=DATE:2025-11");
    TX("It was signed this week.", DCT, "this week=DATE:2025-W44");
    TX("It was signed three years ago.", DCT, "three years ago=DATE:2022");
    TX("Back in June, it agreed.", DCT, "June=DATE:2025-06");
    TX("It met on Friday.", DCT, "Friday=DATE:2025-10-24");
    TX("It will meet on Friday.", DCT, "Friday=DATE:2025-10-31");
    /* a month far ahead in a past-tense sentence is last year's */
    TX("It was launched in December.", "2025-03-10", "December=DATE:2024-12");
    TX("It will ship in January.", DCT, "January=DATE:2026-01");
    FX_END;
}

static void test_temporal__tense_decides_the_year(void **state)
{
    FX_BEGIN;
    /* "in <month>" takes its verb's tense even for a month close ahead */
    TX("The company bought the unit in December.", DCT, "December=DATE:2024-12");
    TX("In January, the board brought in a new chief.", DCT, "January=DATE:2025-01");
    /* a future verb moves a month just past into next year */
    TX("He will be named commander for a mission in September.", DCT,
       "September=DATE:2026-09");
    /* a deadline ahead stays ahead although the verb is past */
    TX("The offer was extended to Nov. 16.", DCT, "Nov. 16=DATE:2025-11-16:bound=until");
    /* "be" + participle looks ahead; an adjective in -ed is no verb */
    TX("The deal is expected to be completed by Dec. 15.", DCT, "Dec. 15=DATE:2025-12-15:bound=until");
    TX("The dividend will be paid Dec. 14.", DCT, "Dec. 14=DATE:2025-12-14");
    TX("It would be paid on a still unspecified date in January.", DCT,
       "January=DATE:2026-01");
    /* the cue right before the date decides: "the year ended Sept. 30" */
    TX("Profit rose in the year ended Sept. 30.", "2025-01-10",
       "the year=DURATION:P1Y|Sept. 30=DATE:2024-09-30");
    /* an infinitive's event is not dated by the past verb before it */
    TX("It agreed to buy the line in February.", DCT, "February=DATE:2026-02");
    TX("The sale is scheduled to close Monday.", DCT, "Monday=DATE:2025-11-03");
    /* a quarter two or more back in a sentence that looks ahead is next year's */
    TX("They expect to complete the merger by the end of the first quarter.", "2024-11-19",
       "the end of the first quarter=DATE:2025-Q1:mod=END:bound=until");
    TX("It expects third-quarter results soon.", DCT, "third-quarter=DATE:2025-Q3|soon=DATE:FUTURE_REF");
    TX("Sales start on Saturday.", "2025-02-12", "Saturday=DATE:2025-02-15");
    TX("It hoped to reopen the berths on Friday.", "2025-01-15", "Friday=DATE:2025-01-17");
    TX("It made it hard to meet demand well into the summer.", "1989-10-26", "the summer=DATE:1989-SU:bound=until");
    /* "set to", "is to", "due to" + verb look ahead; not after "had been" */
    TX("The talks are set to resume Monday.", DCT, "Monday=DATE:2025-11-03");
    TX("It is to resume trading in Paris Tuesday.", "2025-10-24", "Tuesday=DATE:2025-10-28");
    /* a future verb and the weekday of the day itself: today */
    TX("Round seven starts at 3 p.m. on Monday.", "2024-04-15",
       "3 p.m.=TIME:2024-04-15T15:00|Monday=DATE:2024-04-15");
    TX("It had been due to expire Friday.", DCT, "Friday=DATE:2025-10-24");
    /* "since January" starts in the past; "will stay closed until Friday";
     * "the window closes on Monday"; "the expiry falls in late October";
     * "may rise in the spring"; "deals end in March" */
    TX("Bitcoin has gained 40% since January.", "2024-09-18", "January=DATE:2024-01:bound=since");
    TX("Schools will stay closed until Friday.", "2024-10-08", "Friday=DATE:2024-10-11:bound=until");
    TX("He may join before the window closes at 11 p.m. on Monday.", "2025-08-28",
       "11 p.m.=TIME:2025-09-01T23:00|Monday=DATE:2025-09-01");
    TX("Analysts said the expiry, which falls in late October, could weigh.", "2026-04-22",
       "late October=DATE:2026-10:mod=END");
    TX("She said prices may rise again in the spring.", "2025-11-26", "the spring=DATE:2026-SP");
    TX("Customers whose deals end in March should switch.", "2025-11-26", "March=DATE:2026-03");
    TX("Sales rose in May, when demand picked up.", "2025-06-20", "May=DATE:2025-05");
    TX("Sales may have peaked in March.", "2025-11-26", "March=DATE:2025-03");
    /* "unchanged" is an adjective, "speed" no past, "a first cut" a noun */
    TX("The bank would leave rates unchanged on Thursday.", "2026-03-10", "Thursday=DATE:2026-03-12");
    TX("Growth will speed up in the second half of the year.", "2026-03-10",
       "the second half of the year=DATE:2026-H2");
    TX("Solberg Bank expects a first cut in the second quarter.", "2026-03-10",
       "the second quarter=DATE:2026-Q2");
    TX("Prices have risen 14% since the spring.", "2024-08-15", "the spring=DATE:2024-SP:bound=since");
    TX("Factories may cut use if demand stays high into the weekend.", "2025-12-03",
       "the weekend=DATE:2025-W49-WE:bound=until");
    TX("Ministers hope to pass a bill before the summer recess.", "2026-04-30", "");
    TX("The Horizon 2030 fund and the Lanmore 2030 plan grew.", DCT, "");
    TX("A share sale opening in mid-March will raise 600 million euros, the company said.",
       "2025-02-12", "mid-March=DATE:2025-03:mod=MID");
    TX("Holders will receive a premium to Friday's closing price.", "2025-06-02",
       "Friday=DATE:2025-05-30");
    TX("Fans plan to march before Saturday's game.", "2025-08-28", "Saturday=DATE:2025-08-30");
    /* a time takes a day named just before it, not one across a clause */
    TX("It will resume by Friday, its chief told a news conference at 3 p.m. local time.",
       "2024-09-18", "Friday=DATE:2024-09-20:bound=until|3 p.m. local time=TIME:2024-09-18T15:00");
    TX("They host Porto on Saturday, with kick-off at 8:30 p.m.", "2025-08-28",
       "Saturday=DATE:2025-08-30|8:30 p.m.=TIME:2025-08-30T20:30");
    /* "a year ago" in a story that says "a quarter of households" is a year */
    TX("A quarter of households are behind, up from 700,000 a year ago.", "2025-11-26",
       "a year ago=DATE:2024");
    /* narrative "the prior month" */
    TX("Unemployment fell to 4.1% in October from 4.3% the prior month.", "2025-11-13",
       "October=DATE:2025-10|the prior month=DATE:2025-09");
    /* a present-tense verb before a weekday looks ahead; after it, not */
    TX("The store opens Monday.", DCT, "Monday=DATE:2025-11-03");
    TX("The move follows Tuesday's declaration by Ford, which holds a stake.", DCT,
       "Tuesday=DATE:2025-10-28");
    /* an infinitive after the date does not govern it */
    TX("Officials sent signals Sunday that Israel wants to withdraw.", DCT,
       "Sunday=DATE:2025-10-26");
    /* seasons: "last" is the latest before the season we are in */
    TX("The strike began last spring.", DCT, "last spring=DATE:2025-SP");
    TX("The strike began this past spring.", DCT, "this past spring=DATE:2025-SP");
    TX("Sales fell last fall.", DCT, "last fall=DATE:2024-FA");
    /* "next" is next calendar year's; the coming one is "this winter" */
    TX("It opens next winter.", DCT, "next winter=DATE:2026-WI");
    TX("It opens next summer.", "2025-02-10", "next summer=DATE:2026-SU");
    TX("The museum is open Tuesdays to Sundays and every evening.", DCT,
       "Tuesdays=SET:XXXX-WXX-2|Sundays=SET:XXXX-WXX-7|every evening=SET:XXXX-XX-XXTEV");
    TX("The 2027 festival moves to the last weekend of June.", "2026-02-04",
       "2027=DATE:2027|the last weekend of June=DATE:2027-W25-WE");
    TX("People have arrived since the start of the month.", "2024-11-21",
       "the start of the month=DATE:2024-11:mod=START:bound=since");
    TX("Prices always rise at this time of year.", "2025-03-12", "this time of year=DATE:2025-03");
    TX("The festival runs in mid-July this year.", "2026-02-04", "mid-July this year=DATE:2026-07:mod=MID");
    TX("It has a diary from the winter of 1889.", DCT, "the winter of 1889=DATE:1889-WI:bound=since");
    TX("The paper named her its Person of the Year.", DCT, "");
    TX("An exhibition that opens on Thursday runs until Jan. 12.", "2025-10-14",
       "Thursday=DATE:2025-10-16|Jan. 12=DATE:2026-01-12:bound=until");
    TX("Fixtures for the weekend of June 14-15 follow.", "2025-06-08",
       "the weekend of June 14-15=DATE:2025-W24-WE");
    TX("The vote is the week after next.", DCT, "the week after next=DATE:2025-W46");
    TX("Demand is 14% above this time last year.", DCT, "this time last year=DATE:2024-10");
    TX("It is up 7.4% year to date.", DCT, "year to date=DATE:2025");
    TX("The index closed up 0.9% on the day.", DCT, "the day=DATE:2025-10-28");
    TX("The final vote is set for the third Tuesday of May.", "2026-04-30",
       "the third Tuesday of May=DATE:2026-05-19");
    TX("Shareholders will vote at a meeting on the 21st.", "2025-02-12", "the 21st=DATE:2025-02-21");
    TX("A second line is planned for H1 2026.", DCT, "H1 2026=DATE:2026-H1");
    TX("Fixtures: Saturday, June 14: City v Town.", "2025-06-08", "Saturday, June 14=DATE:2025-06-14");
    TX("Families have farmed here since the 1800s.", DCT, "the 1800s=DATE:18:bound=since");
    TX("Costs were cut quarter after quarter.", DCT, "quarter after quarter=SET:P1Q");
    TX("Unions will march on May Day.", "2026-04-30", "May Day=DATE:2026-05-01");
    TX("HEINEKEN 1986 YEAR NET RISES", DCT, "1986=DATE:1986");
    TX("The coffee year ended last September 30.", "1987-03-04", "last September 30=DATE:1986-09-30");
    TX("Exporters shipped goods ahead of Lunar New Year.", "2025-01-15", "Lunar New Year=DATE:2025-01-29");
    TX("Overnight lows will fall to minus 9 C.", "2026-01-13", "Overnight=TIME:2026-01-13TNI");
    TX("Shares fell overnight.", "2026-01-13", "overnight=TIME:2026-01-12TNI");
    TX("It is adjourned until next Wednesday and will resume at 10 a.m. the following Monday.",
       "2025-12-04", "next Wednesday=DATE:2025-12-10:bound=until|10 a.m.=TIME:2025-12-15T10:00|"
       "the following Monday=DATE:2025-12-15");
    TX("These days it is fashionable; a generation ago it was not.", DCT,
       "These days=DATE:PRESENT_REF|a generation ago=DATE:PAST_REF");
    TX("It served towns for generations and lasted for decades.", DCT,
       "generations=DURATION:PXY|decades=DURATION:PXY");
    TX("By the mid-90s, quays built a century ago were too small.", DCT,
       "the mid-90s=DATE:199:mod=MID:bound=until|a century ago=DATE:19");
    TX("It was founded in 1919. A century later, the firm thrives.", "2025-05-20",
       "1919=DATE:1919|A century later=DATE:20");
    TX("Skies should clear by late afternoon.", "2026-01-13", "late afternoon=TIME:2026-01-13TAF:mod=END:bound=until");
    TX("Trams run at weekends and every half hour over the next fortnight.", DCT,
       "weekends=SET:XXXX-WXX-WE|every half hour=SET:PT30M|the next fortnight=DURATION:P2W");
    TX("May it keep surprising us. The Hundred Years' War ended. The Tuesday lunch club met.", DCT, "");
    TX("It made a loss in the year to March.", "2024-07-10", "the year=DURATION:P1Y|March=DATE:2024-03:bound=until");
    TX("Wage growth peaked in the September quarter.", "2026-01-15", "the September quarter=DATE:2025-Q3");
    TX("Policymakers could cut interest rates in March.", "2026-01-15", "March=DATE:2026-03");
    TX("Inflation data due on Tuesday will be a test.", "2026-01-15", "Tuesday=DATE:2026-01-20");
    TX("She will speak again later in the day.", "2026-01-15", "later in the day=DATE:2026-01-15");
    TX("The deal was sealed on Thursday; terms were settled the day before.", "2024-12-05",
       "Thursday=DATE:2024-12-05|the day before=DATE:2024-12-04");
    TX("It lasted for more than a century.", DCT, "more than a century=DURATION:P100Y:mod=MORE_THAN");
    TX("He could debut this weekend.", DCT, "this weekend=DATE:2025-W44-WE");
    TX("A new group is admitted every spring.", DCT, "every spring=SET:XXXX-SP");
    TX("They trade 24 hours a day, seven days a week.", DCT,
       "24 hours a day=SET:P1D|seven days a week=SET:P1W");
    TX("It grew in the early hours of Sunday.", DCT, "the early hours of Sunday=DATE:2025-10-26:mod=START");
    TX("They return to Europe in the 2026-27 season.", DCT, "the 2026-27 season=DATE:2026");
    TX("They last won at the turn of the century.", DCT, "the turn of the century=DATE:2000:mod=APPROX");
    TX("It spotted the attack within minutes.", DCT, "minutes=DURATION:PTXM");
    TX("A decade ago, a project here failed.", DCT, "A decade ago=DATE:201");
    TX("It shows the game at Tokyo Game Show 2024 and at Nimbra Summit 2025 conference.", DCT, "");
    TX("The first edition comes in the spring.", DCT, "the spring=DATE:2026-SP");
    TX("Approval could slip into the summer.", "2024-11-19", "the summer=DATE:2025-SU:bound=until");
    /* "last February" said in March is the February of the year before */
    TX("Two helicopters crashed last February.", "2025-03-01", "last February=DATE:2024-02");
    TX("It failed last June.", DCT, "last June=DATE:2025-06");
    FX_END;
}

/* rules with a required second trigger ('&' in TRIGGERS) still match
 * where the sentence holds it, and a sentence without it costs nothing */
static void test_temporal__required_triggers(void **state)
{
    FX_BEGIN;
    TX("It rose in the third quarter of 2024.", DCT, "the third quarter of 2024=DATE:2024-Q3");
    TX("It rose in the first-quarter 2024 report.", DCT, "the first-quarter 2024=DATE:2024-Q1");
    TX("It opens in March of next year.", DCT, "March of next year=DATE:2026-03");
    TX("It opens in March of 2024.", DCT, "March of 2024=DATE:2024-03");
    TX("A decade-long fight ended.", DCT, "decade-long=DURATION:P10Y");
    TX("Sales rise at year-end.", DCT, "year-end=DATE:2025-12-31");
    TX("It earns $5 million a year.", DCT, "");
    TX("It owns a 160,000 barrel per day refinery.", DCT, "");
    FX_END;
}

/* narrative time: "the following year" counts from the date the text last
 * named, when that date is fine enough; else from the document's date */
static void test_temporal__narrative_reference(void **state)
{
    FX_BEGIN;
    TX("On May 22, 1995, he was promoted, and the following year he left.", DCT,
       "May 22, 1995=DATE:1995-05-22|the following year=DATE:1996");
    TX("The deal closed on March 3, 2020. The next day, shares rose.", DCT,
       "March 3, 2020=DATE:2020-03-03|The next day=DATE:2020-03-04");
    TX("The firm listed in 2019. That year it lost money.", DCT,
       "2019=DATE:2019|That year=DATE:2019");
    TX("It was founded in 2019, and the same month it hired.", DCT,
       "2019=DATE:2019|the same month=DATE:2025-10");
    TX("It will list the following year.", DCT, "the following year=DATE:2026");
    TX("It closed in June 2010. The preceding month was calm.", DCT,
       "June 2010=DATE:2010-06|The preceding month=DATE:2010-05");
    TX("Work starts in late 2026 and gas flows in the fourth quarter of that year.", DCT,
       "late 2026=DATE:2026:mod=END|the fourth quarter of that year=DATE:2026-Q4");
    TX("It sued in March 2021 over deliveries missed that autumn.", DCT,
       "March 2021=DATE:2021-03|that autumn=DATE:2021-FA");
    /* "N units later/earlier" is narrative; "ago" and "from now" count from the dct */
    TX("He was born in 1948 and two years later the family moved.", DCT,
       "1948=DATE:1948|two years later=DATE:1950");
    TX("He joined in March 2010; a month later he quit.", DCT,
       "March 2010=DATE:2010-03|a month later=DATE:2010-04");
    TX("It began three years ago and ends three years from now.", DCT,
       "three years ago=DATE:2022|three years from now=DATE:2028");
    TX("Ministers approved it in 1981, and the following spring trains ran.", DCT,
       "1981=DATE:1981|the following spring=DATE:1982-SP");
    TX("Ships waited, up from nine a day earlier.", "2025-01-15", "a day earlier=DATE:2025-01-14");
    /* "a year earlier" after a date in the same sentence, at its grain */
    TX("Prices rose 2.9% in June from a year earlier.", DCT, "June=DATE:2025-06|a year earlier=DATE:2024-06:bound=since");
    /* a time before "on <weekday>": two spans, the time on that day */
    TX("It fell at 4:50 a.m. local time on Tuesday (2050 GMT on Monday).", "2025-01-15",
       "4:50 a.m. local time=TIME:2025-01-14T04:50|Tuesday=DATE:2025-01-14|"
       "2050 GMT=TIME:2025-01-13T20:50|Monday=DATE:2025-01-13");
    TX("The mill burned on 14 April 2015. Ten years on, it is a shell.", DCT,
       "14 April 2015=DATE:2015-04-14|Ten years on=DATE:2025");
    TX("The alarm went off at 2:10 a.m. on 14 April 2015.", DCT,
       "2:10 a.m.=TIME:2015-04-14T02:10|14 April 2015=DATE:2015-04-14");
    /* a time on the document's day for want of its own is no narrative
     * reference, and takes the day named right after it */
    TX("It will sell notes at 0930 GMT on Wednesday. Data are due at 8:30 a.m. the same day.",
       "2026-03-10", "0930 GMT=TIME:2026-03-11T09:30|Wednesday=DATE:2026-03-11|"
       "8:30 a.m.=TIME:2026-03-11T08:30|the same day=DATE:2026-03-11");
    TX("The jet left at 14:32 local time on Jan. 24 and landed at 15:41 that day.", "2025-02-18",
       "14:32 local time=TIME:2025-01-24T14:32|Jan. 24=DATE:2025-01-24|"
       "15:41=TIME:2025-01-24T15:41|that day=DATE:2025-01-24");
    TX("Filing stops from 17:45 CET on 03/11/2025 until 8 a.m. on 14.03.2025.", "2025-03-05",
       "17:45 CET=TIME:2025-03-11T17:45:bound=since|03/11/2025=DATE:2025-03-11|"
       "8 a.m.=TIME:2025-03-14T08:00:bound=until|14.03.2025=DATE:2025-03-14");
    TX("Firefighters hoped to contain it by nightfall.", "2026-02-23", "nightfall=TIME:2026-02-23TEV:bound=until");
    TX("Pharmacies open on Saturday mornings and every other Friday.", DCT,
       "Saturday mornings=SET:XXXX-WXX-6TMO|every other Friday=SET:XXXX-WXX-5");
    TX("The term ends on Friday, 11 December.", "2026-01-27", "Friday, 11 December=DATE:2026-12-11");
    TX("The deal is retroactive to January 1.", "2024-08-12", "January 1=DATE:2024-01-01:bound=since");
    TX("Rivals plan to close networks within the next year.", "2026-01-13", "the next year=DATE:2027");
    TX("A summit is planned in the autumn.", "2026-03-05", "the autumn=DATE:2026-FA");
    TX("The glasses ship in the fall.", "2025-09-09", "the fall=DATE:2025-FA");
    TX("It hopes to land there by the decade's end.", "2026-10-20", "the decade's end=DATE:202:mod=END:bound=until");
    TX("Pupils are off from Easter Monday; stores open on Black Friday.", "2025-11-20",
       "Easter Monday=DATE:2026-04-06:bound=since|Black Friday=DATE:2025-11-28");
    TX("Raises are 4% a year after that and 6 dollars an hour from Oct. 1.", "2024-08-12",
       "Oct. 1=DATE:2024-10-01:bound=since");
    TX("Deadlines that fall within it move; filings are taken during office hours.", DCT, "");
    TX("The vaccine centre, the Salus 2030 hub, opens; it is sold as the Aura 2027, and ships.", DCT, "");
    TX("An agreement expires at midnight on Aug. 31.", "2024-08-12",
       "midnight=TIME:2024-08-31T24:00|Aug. 31=DATE:2024-08-31");
    /* a story of long ago keeps its year; news about what comes next does not */
    TX("One day in May 1998 she found a bird. The vet set its wing on Saturday, May 16, "
       "and that evening it ate. The next morning it stood up.", "2024-05-20",
       "May 1998=DATE:1998-05|Saturday, May 16=DATE:1998-05-16|that evening=TIME:1998-05-16TEV|"
       "The next morning=TIME:1998-05-17TMO");
    /* a news story comparing with the past is no story of the past */
    TX("Prices fell in January. It was the largest drop since September 1958. "
       "Food costs rose in January from December.", "1987-02-26",
       "January=DATE:1987-01|September 1958=DATE:1958-09:bound=since|January=DATE:1987-01|"
       "December=DATE:1986-12:bound=since");
    TX("The rate was the lowest since December 1977. It was 15 points below a month earlier.",
       "1987-04-03", "December 1977=DATE:1977-12:bound=since|a month earlier=DATE:1987-03");
    TX("The border shut in April 2016. The crossings will open from April 1.", "2026-03-05",
       "April 2016=DATE:2016-04|April 1=DATE:2026-04-01:bound=since");
    /* the first time of a range takes the day the second names */
    TX("Services were down between 2 a.m. and 8 a.m. UTC on Monday.", "2025-06-10",
       "2 a.m.=TIME:2025-06-09T02:00|8 a.m. UTC=TIME:2025-06-09T08:00|Monday=DATE:2025-06-09");
    /* a time takes the day of a date named before it in the sentence */
    TX("A hearing is set for Sept. 24 at 1 p.m. EST.", DCT,
       "Sept. 24=DATE:2025-09-24|1 p.m. EST=TIME:2025-09-24T13:00");
    /* "next year" is the document's next year, whatever came before */
    TX("It was founded in 1999 and will list next year.", DCT, "1999=DATE:1999|next year=DATE:2026");
    FX_END;
}

static void test_temporal__no_anchor(void **state)
{
    FX_BEGIN;
    TX("Residents cleared drains this weekend.", NULL, "this weekend=DATE:XXXX-WXX-WE:anchor=none");
    /* a dateline below a headline still gives month and day */
    TX("Bus Maker Wins Order\n\nBERLIN, June 3 (Wire) - It said yesterday it acts tomorrow.", NULL,
       "June 3=DATE:XXXX-06-03:anchor=none|yesterday=DATE:XXXX-06-02:anchor=none|"
       "tomorrow=DATE:XXXX-06-04:anchor=none");
    TX("He left yesterday.", NULL, "yesterday=DATE:XXXX-XX-XX:anchor=none");
    TX("Back in June, it agreed.", NULL, "June=DATE:XXXX-06:anchor=none");
    TX("It runs until 2030.", NULL, "2030=DATE:2030:bound=until");
    /* a dateline gives month and day; no year, so the year stays open */
    TX("LONDON, Jan 21 (Wire) - It fell yesterday.", NULL,
       "Jan 21=DATE:XXXX-01-21:anchor=none|yesterday=DATE:XXXX-01-20:anchor=none");
    TX("PARIS, March 1 (Wire) - It rose yesterday and last month.", NULL,
       "March 1=DATE:XXXX-03-01:anchor=none|yesterday=DATE:XXXX-02-28:anchor=none|"
       "last month=DATE:XXXX-02:anchor=none");
    TX("LONDON, Jan 21, 2025 (Wire) - It fell yesterday.", NULL,
       "Jan 21, 2025=DATE:2025-01-21|yesterday=DATE:2025-01-20");
    FX_END;
}

static void test_temporal__references(void **state)
{
    FX_BEGIN;
    TX("Prices are now higher.", DCT, "now=DATE:PRESENT_REF");
    TX("It is currently closed.", DCT, "currently=DATE:PRESENT_REF");
    TX("It was recently sold.", DCT, "recently=DATE:PAST_REF");
    /* "previously", "formerly" order an event before another; they name no
     * time (TimeBank marks 3 of its 19) */
    TX("The previously announced plan was dropped.", DCT, "");
    TX("Smith, formerly its finance chief, left.", DCT, "");
    TX("It may grow in the future.", DCT, "the future=DATE:FUTURE_REF");
    FX_END;
}

static void test_temporal__durations(void **state)
{
    FX_BEGIN;
    /* "N years before" a clause and "later than planned" are lengths */
    TX("It ended the deal more than four years before it was due to expire.", DCT,
       "more than four years=DURATION:P4Y:mod=MORE_THAN");
    TX("Service starts about nine months later than planned.", DCT,
       "about nine months=DURATION:P9M:mod=APPROX");
    /* "the past decade" without a number is the previous decade (TimeBank) */
    TX("Income doubled over the past decade.", DCT, "the past decade=DATE:201");
    TX("Rates will fall in the coming months.", DCT, "the coming months=DURATION:PXM");
    TX("Investors will sell in the weeks ahead.", DCT, "the weeks ahead=DURATION:PXW");
    TX("Troops will stay for a while.", DCT, "a while=DURATION:PXX");
    TX("Orders rose from the low levels of the early summer.", DCT,
       "the early summer=DATE:2025-SU:mod=START");
    TX("Rules should be in place by year's end.", DCT, "year's end=DATE:2025-12-31:bound=until");
    TX("It happened two weeks before.", DCT, "two weeks before=DATE:2025-W42");
    TX("It took five years.", DCT, "five years=DURATION:P5Y");
    TX("It took 18 months.", DCT, "18 months=DURATION:P18M");
    TX("It took a decade.", DCT, "a decade=DURATION:P10Y");
    TX("They signed a multiyear deal.", DCT, "multiyear=DURATION:PXY");
    TX("They signed a multi-year deal.", DCT, "multi-year=DURATION:PXY");
    TX("They signed a five-year deal.", DCT, "five-year=DURATION:P5Y");
    TX("It took several weeks.", DCT, "several weeks=DURATION:PXW");
    TX("For the past few years, it grew.", DCT, "the past few years=DURATION:PXY");
    TX("It lasted 2 1/2 years.", DCT, "2 1/2 years=DURATION:P2Y6M");
    TX("It lasted three hours.", DCT, "three hours=DURATION:PT3H");
    TX("It is a long-standing deal.", DCT, "long-standing=DURATION:PXY");
    FX_END;
}

static void test_temporal__times(void **state)
{
    FX_BEGIN;
    TX("The call began at 0700 GMT.", DCT, "0700 GMT=TIME:2025-10-28T07:00");
    TX("It starts at 10:30 a.m. EST.", DCT, "10:30 a.m. EST=TIME:2025-10-28T10:30");
    TX("It starts at 5 p.m.", DCT, "5 p.m.=TIME:2025-10-28T17:00");
    TX("It starts at noon.", DCT, "noon=TIME:2025-10-28T12:00");
    TX("It starts tonight.", DCT, "tonight=TIME:2025-10-28TNI");
    TX("It began this morning.", DCT, "this morning=TIME:2025-10-28TMO");
    FX_END;
}

static void test_temporal__sets(void **state)
{
    FX_BEGIN;
    TX("It airs every Monday evening.", DCT, "every Monday evening=SET:XXXX-WXX-1TEV");
    TX("Patients come in every other week.", DCT, "every other week=SET:P2W");
    TX("Shippers will pay tolls monthly once gas flows.", DCT, "monthly=SET:P1M");
    TX("It will raise its monthly U.S. price.", DCT, "");
    TX("The board meets eight times a year.", DCT, "eight times a year=SET:P1Y");
    TX("It is reviewed every week.", DCT, "every week=SET:P1W");
    TX("It is reviewed annually.", DCT, "annually=SET:P1Y");
    TX("It is reviewed twice a year.", DCT, "twice a year=SET:P1Y");
    TX("They meet every Monday.", DCT, "every Monday=SET:XXXX-WXX-1");
    FX_END;
}

static void test_temporal__modifiers_and_bounds(void **state)
{
    FX_BEGIN;
    TX("It opens in early 2025.", DCT, "early 2025=DATE:2025:mod=START");
    TX("It took about three years.", DCT, "about three years=DURATION:P3Y:mod=APPROX");
    TX("It took more than five years.", DCT, "more than five years=DURATION:P5Y:mod=MORE_THAN");
    TX("It takes at least two weeks.", DCT, "at least two weeks=DURATION:P2W:mod=EQUAL_OR_MORE");
    TX("It runs until 2032.", DCT, "2032=DATE:2032:bound=until");
    TX("It runs through 2030.", DCT, "2030=DATE:2030:bound=until");
    TX("It has grown since 2019.", DCT, "2019=DATE:2019:bound=since");
    TX("It closes by the end of the year.", DCT, "the end of the year=DATE:2025:mod=END:bound=until");
    TX("It took five years or so.", DCT, "five years or so=DURATION:P5Y:mod=APPROX");
    /* a prefix modifier after an expression does not join it */
    TX("Prices are now more than double.", DCT, "now=DATE:PRESENT_REF");
    FX_END;
}

static void test_temporal__vetoes(void **state)
{
    FX_BEGIN;
    /* May the modal, March the verb, a newspaper, a product, an age, a rate */
    TX("Prices may rise.", DCT, "");
    TX("Protesters march on the capital.", DCT, "");
    TX("He told the Sunday Times about it.", DCT, "");
    TX("He bought Apple's 2020 MacBook Air.", DCT, "");
    TX("The 49ers won.", DCT, "");
    TX("He is 52 years old.", DCT, "");
    TX("It earns $5 million a year.", DCT, "");
    /* a programme's title in quotes, the generic "of tomorrow" */
    TX("He said on \"This Week With David Brinkley\" that it would.", DCT, "");
    TX("Speaking on \"This Week,\" he agreed.", DCT, "");
    TX("The cars of tomorrow are electric.", DCT, "");
    /* a reference takes no modifier */
    TX("It is confident about future earnings.", DCT, "future=DATE:FUTURE_REF");
    /* but the month is still found where it is one */
    TX("It opened in May.", DCT, "May=DATE:2025-05");
    TX("It is set for tomorrow.", DCT, "tomorrow=DATE:2025-10-29");
    TX("This week, he agreed.", DCT, "This week=DATE:2025-W44");
    TX("It opened on March 3.", DCT, "March 3=DATE:2025-03-03");
    TX("It needs the Aurora 2030 streaming box.", DCT, "");
    TX("Both are Haldor Titan 2010 machines.", DCT, "");
    TX("The EU 2030 target stands.", DCT, "2030=DATE:2030");
    TX("It is 20% more than the current deal.", DCT, "");
    TX("The deal expires in July next year.", DCT, "July next year=DATE:2026-07");
    FX_END;
}

static void test_temporal__spans_in_order_without_overlap(void **state)
{
    FX_BEGIN;
    const char *text = "From Jan. 5, 2024 until 2030, for five years, every week at 9 a.m., now and then.";
    const nm_result *r;
    nm_doc_opts o = {0};
    o.dct = DCT;
    assert_int_equal(nm_pipeline_run(f->p, text, strlen(text), &o, &r), 0);
    assert_true(nm_result_n_spans(r) >= 5);
    size_t prev = 0;
    size_t prev_start = 0;
    for (size_t i = 0; i < nm_result_n_spans(r); i++) {
        nm_span s;
        nm_result_span(r, i, &s);
        assert_true(s.start >= prev_start); /* every span, in text order */
        assert_true(s.end > s.start);
        prev_start = s.start;
        if (strcmp(s.type, "DATE") && strcmp(s.type, "TIME") && strcmp(s.type, "DURATION") &&
            strcmp(s.type, "SET"))
            continue;
        assert_true(s.start >= prev); /* temporal spans never overlap */
        prev = s.end;
    }
    FX_END;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_temporal__explicit_dates),
        cmocka_unit_test(test_temporal__relative_dates_anchor_to_dct),
        cmocka_unit_test(test_temporal__tense_decides_the_year),
        cmocka_unit_test(test_temporal__required_triggers),
        cmocka_unit_test(test_temporal__narrative_reference),
        cmocka_unit_test(test_temporal__no_anchor),
        cmocka_unit_test(test_temporal__references),
        cmocka_unit_test(test_temporal__durations),
        cmocka_unit_test(test_temporal__times),
        cmocka_unit_test(test_temporal__sets),
        cmocka_unit_test(test_temporal__modifiers_and_bounds),
        cmocka_unit_test(test_temporal__vetoes),
        cmocka_unit_test(test_temporal__spans_in_order_without_overlap),
    };
    return cmocka_run_group_tests_name("temporal", tests, NULL, NULL);
}
