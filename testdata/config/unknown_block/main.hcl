terraform {
}
