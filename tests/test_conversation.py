"""Follow-ups (:mod:`qa.conversation`): what a turn refers to and the question it stands for."""

from qa.conversation import Exchange, understand


def test_pronouns_are_read_as_the_previous_answer_but_never_a_date():
    def read(question: str, short: str) -> str:
        return understand(question, [Exchange("Who is it?", short, short)]).reader_question

    assert read("Who met her?", "Lim Soo-suk") == "Who met Lim Soo-suk?"
    assert read("What is her title?", "Lim Soo-suk") == "What is Lim Soo-suk's title?"
    assert read("Where was it signed?", "the 1961 treaty") == "Where was the 1961 treaty signed?"
    # less the part asked for: a question holding its own answer reads as unanswerable
    assert read("In which year was it signed?", "1961 treaty") == "In which year was the treaty signed?"
    assert read("When was it signed?", "the June 2024 pact") == "When was the pact signed?"
    assert read("How much did it cost?", "a US$300 car") == "How much did a car cost?"
    for short in ("1961", "June 20, 2024", "12,575"):
        assert read("What is its title?", short) == "What is its title?"


def test_a_person_stays_the_referent_over_several_turns():
    chat = [Exchange("Who is the Foreign Ministry spokesperson?", "Lim Soo-suk, spokesperson of the Foreign Ministry",
                     "Lim Soo-suk", "004")]  # fmt: skip
    turns = [
        ("What is his title?", "What is Lim Soo-suk's title?", "spokesperson of the Foreign Ministry"),
        ("Where did he speak?", "Where did Lim Soo-suk speak?", "Government Complex Seoul"),
        ("When did she speak there?", "When did Lim Soo-suk speak there?", "Thursday"),
    ]
    for question, understood, short in turns:  # the answers between are not people
        assert understand(question, chat).reader_question == understood
        chat.append(Exchange(understood, short, short, "004"))
    assert understand("What is its address?", chat[:3]).reader_question == "What is Government Complex Seoul's address?"
    chat.append(Exchange("Who is the Japanese Chief Cabinet Secretary?", "Yoshimasa Hayashi", "Yoshimasa Hayashi", "000"))
    assert understand("What did he say?", chat).reader_question == "What did Yoshimasa Hayashi say?"  # the new person


def test_follow_ups_over_turns_ellipses_and_topic_switches():
    prize = Exchange("Who won the Guardian First Book Award in 2002?", "Jonathan Safran Foer won it.", "Jonathan Safran Foer")
    declined = Exchange("What did the jury say?", found=False)
    # over a declined turn, to the last one that answered
    assert understand("What is his nationality?", [prize, declined]).reader_question == (
        "What is Jonathan Safran Foer's nationality?"
    )
    # an ellipsis takes the previous question
    assert understand("And in 2003?", [prize]).reader_question == "Who won the Guardian First Book Award in 2003?"
    assert understand("What about the prize money?", [prize]).follows == prize  # an ellipsis: the same topic
    assert understand("Who is the team manager?", [prize]).follows is None  # a topic of its own: stands alone
    # a question naming a new subject is a clean break, pronoun or not
    yukos = Exchange("Who is the judge in the Yukos case?", "Judge Irina Vasina", "Irina Vasina")
    switch = understand("What about the Balco case, who is the judge there?", [yukos])
    assert switch.follows is None and switch.reader_question == "What about the Balco case, who is the judge there?"
    assert understand("When did Putin visit Pyongyang in 2024?", [prize]).follows is None
    assert understand("Why did this happen then?", []).follows is None


def test_a_pronoun_inside_a_question_with_a_topic_of_its_own_is_no_follow_up():
    tax = Exchange("How much inheritance tax did Edith Windsor pay?", "more than US$300,000", "more than US$300,000", "t")
    ward = Exchange("Which MP told Wikinews about the devices?", "Gareth Ward", "Gareth Ward", "w")
    texts = {"t": "Edith Windsor paid more than US$300,000 in inheritance tax.",
             "w": "Gareth Ward told Wikinews the buzzing devices were annoying."}.get  # fmt: skip
    for question, turn in (("Where do cicadas lay their eggs?", tax),
                           ("How much of its stored battery power did the solar plane use?", ward)):  # fmt: skip
        understood = understand(question, [turn], texts)
        assert understood.follows is None and understood.shown == question
    # the same pronoun, with a topic the previous article shares, still follows up
    assert understand("Who was she married to?", [tax], {"t": "Edith Windsor married Thea Spyer."}.get).follows == tax
    assert understand("When did he tell them about the devices?", [ward], texts).reader_question == (
        "When did Gareth Ward tell them about the devices?"
    )


def test_a_thin_question_follows_up_when_the_previous_article_mentions_it():
    prize = Exchange("Who won the Guardian First Book Award in 2002?", "Jonathan Safran Foer won it.", "Jonathan Safran Foer", "a1")
    texts = {"a1": "Jonathan Safran Foer won the Guardian First Book Award, and its prize of £10,000."}.get
    understood = understand("How much was the prize?", [prize], texts)
    assert understood.follows == prize and "following up on: Who won the Guardian" in understood.shown
    assert understand("How much was the prize?", [prize]).follows is None  # no article to look in, not in the turn
    assert understand("How much was the award?", [prize]).follows == prize  # in the turn's own words
    assert understand("How much did the tickets cost?", [prize], texts).follows is None  # not in that article
    # a question with a topic of its own stands alone even when the article mentions it
    assert understand("How much was the prize for the Guardian award?", [prize], texts).follows is None


def test_a_personal_pronoun_is_a_person_not_a_place_or_a_time():
    texts = {"b": "Benefield's body was found in a ditch. The man charged with her murder is held on a US$1 million bond."}.get
    where = Exchange("Where was Benefield's body found?", "in a ditch", "in a ditch", "b")
    # "her" after a "where" question is the one name that question brings, not its answer
    assert understand("How much is the bond of the man charged with her murder?", [where], texts).reader_question == (
        "How much is the bond of the man charged with Benefield's murder?"
    )
    tax = Exchange("How much inheritance tax did Edith Windsor pay?", "more than US$300,000", "more than US$300,000")
    assert understand("Who was she married to?", [tax]).reader_question == "Who was Edith Windsor married to?"
    # two names: no telling which one is meant, so the pronoun stays (the turn still follows up)
    met = Exchange("When did Kim and Putin meet?", "Wednesday", "Wednesday")
    assert understand("What is his title?", [met]).reader_question == "What is his title?"
    # after a place, a personal pronoun is the last "who" answer, never the place
    who = Exchange("Who is the Foreign Ministry spokesperson?", "Lim Soo-suk", "Lim Soo-suk")
    place = Exchange("Where did the briefing take place?", "Government Complex Seoul", "Government Complex Seoul")
    assert understand("What is his title?", [who, place]).reader_question == "What is Lim Soo-suk's title?"
