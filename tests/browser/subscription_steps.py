"""Filling the subscription steps in the browser, for the journey and the accessibility audit."""

NIR = "278051601512303"          # Madame, born 05/1978 in Charente
SPOUSE_NIR = "180022A00401273"   # born 02/1980 in Corse-du-Sud
IBAN = "FR76 3000 6000 0112 3456 7890 189"


def open_link(page, url):
    page.goto(url)
    page.get_by_label("Date de naissance (*)").fill("1978-05-04")
    page.get_by_role("button", name="Accéder à mon devis").click()


def choose(page, name, value):
    page.locator(f'label.choice:has(input[name="{name}"][value="{value}"])').click()


def saved(page):
    page.get_by_text("Vos réponses sont enregistrées.").wait_for()


def fill_personal(page):
    page.locator("#nir").fill(NIR)
    page.get_by_label("Je déclare que j'ai le statut TNS.").check()
    page.get_by_label("Je souhaite que mes dépenses de santé").check()
    page.locator("#conjoint_prenom").fill("Marc")
    page.locator("#conjoint_nom").fill("Lefèvre")
    page.locator("#conjoint_nir").fill(SPOUSE_NIR)
    for index, (first, born) in enumerate((("Zoé", "01/07/2012"), ("Hugo", "03/09/2015")), start=1):
        page.locator(f"#enfant{index}_prenom").fill(first)
        page.locator(f"#enfant{index}_nom").fill("Lefèvre")
        page.locator(f"#enfant{index}_date_naissance").fill(born)


def fill_payment(page, periodicity="trimestriel"):
    page.get_by_label("Titulaire du compte (*)").fill("Élodie Lefèvre")
    page.get_by_label("IBAN (*)").fill(IBAN)
    choose(page, "periodicite", periodicity)
    choose(page, "jour_prelevement", "10")
