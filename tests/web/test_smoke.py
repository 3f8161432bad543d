def test_home(client):
    page = client.get("/")
    assert page.status_code == 200
    assert 'lang="fr"' in page.get_data(as_text=True)


def test_journey(respondent, db_counts):
    respondent.start("entreprise")
    r = respondent.submit(1, {"territoire_q": "Lyon", "taille": "de_10_a_49"})
    assert r.status_code == 302, r.get_data(as_text=True)[-3000:]
    assert db_counts()["answer"] == 2
